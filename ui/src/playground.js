// The playground page (ui): a code editor with ghost-text completions, and a chat tab.
import { closeBrackets } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { cpp } from "@codemirror/lang-cpp";
import { go } from "@codemirror/lang-go";
import { java } from "@codemirror/lang-java";
import { javascript } from "@codemirror/lang-javascript";
import { python } from "@codemirror/lang-python";
import { rust } from "@codemirror/lang-rust";
import {
  bracketMatching,
  defaultHighlightStyle,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { Compartment, EditorState } from "@codemirror/state";
import {
  drawSelection,
  EditorView,
  highlightActiveLine,
  highlightActiveLineGutter,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { Chat } from "./chat.js";
import { $, loadModels, showBanner, watchLoading } from "./common.js";
import { Completer } from "./completer.js";
import { ghostText } from "./ghost.js";
import { Panel } from "./panel.js";
import { Telemetry } from "./telemetry.js";

const MODES = {
  python: () => python(),
  javascript: () => javascript(),
  typescript: () => javascript({ typescript: true }),
  go: () => go(),
  rust: () => rust(),
  java: () => java(),
  c: () => cpp(),
  "c++": () => cpp(),
};

const SAMPLE = `import math


def is_prime(n):
    """Whether n is a prime number."""
    if n < 2:
        return False
    for k in range(2, int(math.sqrt(n)) + 1):
        if n % k == 0:
            return False
    return True


def primes_below(limit):
    `;

const language = new Compartment();

function modeFor(name) {
  const make = MODES[name.trim().toLowerCase()];
  return make ? make() : [];
}

function fields() {
  return {
    model: $("#model").value || "default",
    language: $("#language").value.trim(),
    path: $("#path").value.trim(),
    maxTokens: Number($("#max-tokens").value) || 64,
  };
}

function tabs() {
  for (const name of ["complete", "chat"]) {
    $(`#tab-${name}`).addEventListener("click", () => {
      for (const other of ["complete", "chat"]) {
        $(`#tab-${other}`).setAttribute("aria-selected", String(other === name));
        $(`#pane-${other}`).hidden = other !== name;
      }
    });
  }
}

function start() {
  const panel = new Panel();
  const telemetry = new Telemetry((status) => panel.telemetry(status));
  const completer = new Completer(fields, panel, telemetry);
  const view = new EditorView({
    parent: $("#editor"),
    state: EditorState.create({
      doc: SAMPLE,
      selection: { anchor: SAMPLE.length },
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        history(),
        drawSelection(),
        indentOnInput(),
        indentUnit.of("    "),
        bracketMatching(),
        closeBrackets(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        ghostText(),
        keymap.of([
          { key: "Ctrl-Space", run: (v) => completer.trigger(v) },
          ...defaultKeymap,
          ...historyKeymap,
          indentWithTab,
        ]),
        language.of(modeFor($("#language").value)),
        EditorView.updateListener.of((update) => completer.onUpdate(update)),
      ],
    }),
  });
  completer.view = view;
  $("#language").addEventListener("change", () => {
    view.dispatch({ effects: language.reconfigure(modeFor($("#language").value)) });
  });
  tabs();
  new Chat(() => fields().model);
  loadModels($("#model")).catch((error) => showBanner(`Could not list models: ${error.message}`));
  watchLoading();
  window.codefillEditor = view; // for tests and the console: the editor's EditorView
  view.focus();
}

start();
