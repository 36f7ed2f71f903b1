// Ghost text for CodeMirror 6: a suggestion drawn after the cursor, not part of the document
// until accepted. Tab accepts it whole, Ctrl/Cmd-Right one word, Ctrl/Cmd-Down one line,
// Esc dismisses it. Typing the suggestion's next characters keeps the rest showing.
import { Annotation, Prec, StateEffect, StateField } from "@codemirror/state";
import { Decoration, EditorView, WidgetType, keymap } from "@codemirror/view";

// {from, text, id}: id is whatever the caller uses to name the completion.
export const setGhost = StateEffect.define();
// Marks the transaction that accepted (part of) a suggestion: {kind, text, id}.
export const accepted = Annotation.define();

class GhostWidget extends WidgetType {
  constructor(text) {
    super();
    this.text = text;
  }
  eq(other) {
    return other.text === this.text;
  }
  toDOM() {
    const span = document.createElement("span");
    span.className = "cm-ghost";
    span.textContent = this.text;
    return span;
  }
  ignoreEvent() {
    return true;
  }
}

// A suggestion survives a change that typed its own next characters at its start.
function typedThrough(ghost, tr) {
  let rest = null;
  let changes = 0;
  tr.changes.iterChanges((fromA, toA, fromB, toB, inserted) => {
    changes += 1;
    const text = inserted.toString();
    if (fromA === ghost.from && toA === fromA && text && ghost.text.startsWith(text)) {
      rest = { ...ghost, from: toB, text: ghost.text.slice(text.length) };
    }
  });
  if (changes !== 1 || !rest || !rest.text) return null;
  const head = tr.state.selection.main;
  return head.empty && head.head === rest.from ? rest : null;
}

export const ghostField = StateField.define({
  create: () => null,
  update(ghost, tr) {
    for (const effect of tr.effects) if (effect.is(setGhost)) return effect.value;
    if (!ghost) return null;
    if (tr.docChanged) return typedThrough(ghost, tr);
    if (tr.selection) {
      const head = tr.state.selection.main;
      return head.empty && head.head === ghost.from ? ghost : null;
    }
    return ghost;
  },
  provide: (field) =>
    EditorView.decorations.from(field, (ghost) =>
      ghost
        ? Decoration.set([
            Decoration.widget({ widget: new GhostWidget(ghost.text), side: 1 }).range(ghost.from),
          ])
        : Decoration.none,
    ),
});

// The part of a suggestion one key takes: all of it, its next word, or its next line.
export function slice(text, kind) {
  if (kind === "word") {
    const match = text.match(/^\s*(?:\w+|[^\w\s]+)/);
    return match ? match[0] : text;
  }
  if (kind === "line") {
    const end = text.indexOf("\n", text.match(/^\n*/)[0].length);
    return end < 0 ? text : text.slice(0, end + 1);
  }
  return text;
}

function accept(kind) {
  return (view) => {
    const ghost = view.state.field(ghostField);
    if (!ghost) return false;
    const text = slice(ghost.text, kind);
    view.dispatch({
      changes: { from: ghost.from, insert: text },
      selection: { anchor: ghost.from + text.length },
      annotations: accepted.of({ kind, text, id: ghost.id }),
      userEvent: "input.complete",
    });
    return true;
  };
}

function dismiss(view) {
  if (!view.state.field(ghostField)) return false;
  view.dispatch({ effects: setGhost.of(null) });
  return true;
}

export function ghostText() {
  return [
    ghostField,
    Prec.highest(
      keymap.of([
        { key: "Tab", run: accept("whole") },
        { key: "Mod-ArrowRight", run: accept("word") },
        { key: "Mod-ArrowDown", run: accept("line") },
        { key: "Escape", run: dismiss },
      ]),
    ),
  ];
}
