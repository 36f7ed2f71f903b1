"""All rules together: :func:`postprocess` for a whole text, :class:`PostProcessor` for a stream."""

from __future__ import annotations

from codefill.postprocess.brackets import BracketJudge
from codefill.postprocess.context import CompletionContext, PostprocessOptions
from codefill.postprocess.echo import AnywhereEchoJudge
from codefill.postprocess.language_stops import LanguageStopJudge
from codefill.postprocess.lines import LineJudge, LineRunner
from codefill.postprocess.markers import EndMarkerJudge, cut_end_markers
from codefill.postprocess.midline import SingleLineJudge
from codefill.postprocess.repetition import LineEndRepetitionJudge, RepeatedLinesJudge
from codefill.postprocess.report import PostprocessReport, build_report
from codefill.postprocess.scope import BlockBodyJudge, ScopeJudge
from codefill.postprocess.suffix import InlineEchoJudge, SuffixEchoJudge
from codefill.postprocess.trim import trim_whitespace

__all__ = ["PostProcessor", "judges_for", "postprocess"]

_DEFAULT = PostprocessOptions()


def judges_for(context: CompletionContext, options: PostprocessOptions) -> list[LineJudge]:
    """Fresh line judges for the enabled rules (they keep state, so one set per completion)."""
    judges: list[LineJudge] = []
    if options.single_line:
        judges.append(
            SingleLineJudge(
                context, block_headers=options.mid_line_blocks, multi_line=options.mid_line_ends
            )
        )
    if options.suffix_overlap:
        judges.append(InlineEchoJudge(context))
    if options.scope:
        judges.append(ScopeJudge(context, suffix_level=options.suffix_level))
        judges.append(BlockBodyJudge(context))
    if options.language_stops:
        judges.append(LanguageStopJudge(context))
    if options.suffix_overlap:
        judges.append(SuffixEchoJudge(context, own_line=options.own_line_echo))
    if options.echo_anywhere:
        judges.append(AnywhereEchoJudge(context))
    if options.brackets:
        judges.append(BracketJudge(context))
    if options.end_markers:
        judges.append(EndMarkerJudge())
    if options.repetition:
        judges.extend([LineEndRepetitionJudge(), RepeatedLinesJudge()])
    return judges


class PostProcessor:
    """Incremental post-processing for streaming: the same rules, applied as text arrives.

    Lines are decided whole, so the current partial line is held back, as are lines that a
    run of repeats may still remove and (with trimming on) trailing whitespace. Whatever
    the chunking, ``"".join(feed(c) for c in chunks) + flush()`` equals
    :func:`postprocess` of the joined text. Once :attr:`stopped` is true the result no
    longer depends on text yet to come: the caller should abort generation, further
    ``feed`` calls return "" and ``flush`` returns what is left of the decided text.
    """

    def __init__(self, context: CompletionContext, options: PostprocessOptions = _DEFAULT) -> None:
        self._context = context
        self._options = options
        self._runner = LineRunner(judges_for(context, options))
        self._partial = ""
        self._raw = ""  # everything fed, for the report
        self._emitted = 0
        self._final: str | None = None
        # A rule's final text while the model may still end itself (``model_end``), its
        # newlines and those generated so far, and whether the model's end overruled the rule.
        self._held: str | None = None
        self._held_newlines = 0
        self._newlines = 0
        self._overruled = False

    @property
    def stopped(self) -> bool:
        """True once the rules have decided the completion is over."""
        return self._runner.cut is not None and self._held is None

    def feed(self, text: str) -> str:
        """Take the next piece of generated text; return the text now safe to show."""
        if not self._options.enabled:
            return text
        self._raw += text
        self._newlines += text.count("\n")
        if self._final is not None:
            return ""
        if self._held is not None:
            return self._hold()
        if "\n" not in text:  # the cheap path, taken for most tokens
            self._partial += text
            return ""
        *complete, self._partial = (self._partial + text).split("\n")
        for line in complete:
            if self._runner.take(line, terminated=True):
                self._partial = ""
                return self._cut()
        return self._release()

    def flush(self, ended: bool = False) -> str:
        """Call once generation has ended: the rest of the text. ``ended`` says the model
        ended it itself (an end-of-generation token or a stop string), not a limit."""
        if not self._options.enabled or self._final is not None:
            return ""
        if self._held is None:
            cut = self._runner.take(self._partial, terminated=False)
            self._partial = ""
            if not cut or not self._trusts_end():
                return self._finish()
            self._hold_cut()
        if ended and self._within_hold():  # the model's own end overrules the cut
            self._overruled = True
            raw = cut_end_markers(self._raw) if self._options.end_markers else self._raw
            return self._finish(trim_whitespace(raw, self._context) if self._options.trim else raw)
        return self._finish()

    def report(self) -> PostprocessReport | None:
        """What the rules removed and why, once the completion is decided (after
        :meth:`flush`, or once :attr:`stopped`); None when nothing was removed or before then.

        A rule that ended the completion reports even when it removed no text of what was
        generated so far: it stopped the model there.
        """
        if self._final is None:
            return None
        cut_by = None if self._overruled else self._runner.cut_by
        return build_report(self._raw, self._final, cut_by)

    def _release(self) -> str:
        firm = self._runner.firm_text()
        end = len(firm.rstrip()) if self._options.trim else len(firm)
        if end <= self._emitted:
            return ""
        out, self._emitted = firm[self._emitted : end], end
        return out

    def _cut(self) -> str:
        """A rule has cut: finish, or hold the cut while the model may still end itself."""
        if not self._trusts_end():
            return self._finish()
        self._hold_cut()
        return self._hold()

    def _hold_cut(self) -> None:
        self._held = self._decided()
        self._held_newlines = self._held.count("\n")

    def _trusts_end(self) -> bool:
        """Whether the model's own end may overrule the cut: an end marker's cut is one."""
        return self._options.model_end > 0 and not isinstance(self._runner.cut_by, EndMarkerJudge)

    def _hold(self) -> str:
        """Release what the cut text and the raw text share; end the hold, keeping the cut,
        once the model has written more than ``model_end`` lines past it."""
        if not self._within_hold():
            return self._finish()
        shared = (self._held or "").rstrip()  # a start of the raw text, as the rules only cut
        if len(shared) <= self._emitted or not self._raw.startswith(shared):
            return ""
        out, self._emitted = shared[self._emitted :], len(shared)
        return out

    def _within_hold(self) -> bool:
        return self._newlines - self._held_newlines <= self._options.model_end

    def _decided(self) -> str:
        final = self._runner.text()
        return trim_whitespace(final, self._context) if self._options.trim else final

    def _finish(self, final: str | None = None) -> str:
        """End with ``final``, by default the rules' text; what was shown is its prefix."""
        final = self._decided() if final is None else final
        self._held = None
        self._final = final
        out, self._emitted = final[self._emitted :], len(final)
        return out


def postprocess(
    text: str,
    context: CompletionContext,
    options: PostprocessOptions = _DEFAULT,
    ended: bool = False,
) -> str:
    """Clean up a whole raw completion: every enabled rule, then trimming. ``ended``: the
    model ended ``text`` itself (see ``PostprocessOptions.model_end``)."""
    if not options.enabled:
        return text
    processor = PostProcessor(context, options)
    return processor.feed(text) + processor.flush(ended)
