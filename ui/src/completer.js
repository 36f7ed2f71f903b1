// Completions while typing: debounce, stream from api/generate, draw ghost text.
//
// Each request carries the page's X-Codefill-Session, so the server ends the older request
// of this page (supersession) and answers a request whose prefix types through an earlier
// completion from that completion (type-ahead). The previous fetch is aborted as soon as
// the newer one has been accepted by the server, so type-ahead can still follow it.
import { api, errorText, lines, SESSION } from "./common.js";
import { accepted, ghostField, setGhost } from "./ghost.js";

const DEBOUNCE_MS = 150;

export class Completer {
  // fields(): {model, language, path, maxTokens}; panel: see panel.js; telemetry: telemetry.js
  constructor(fields, panel, telemetry) {
    this.fields = fields;
    this.panel = panel;
    this.telemetry = telemetry;
    this.view = null;
    this.timer = null;
    this.current = null; // {controller, seq}
    this.seq = 0;
    this.renderController = null;
  }

  // An EditorView.updateListener: schedule a request on typing; report accepts and dismissals.
  onUpdate(update) {
    this.view = update.view;
    for (const tr of update.transactions) {
      const before = tr.startState.field(ghostField);
      const after = tr.state.field(ghostField);
      const accept = tr.annotation(accepted);
      if (accept) this.telemetry.accept(accept.id, accept.kind);
      else if (before && !after && !tr.effects.some((e) => e.is(setGhost) && e.value)) {
        this.telemetry.dismiss(before.id);
        if (!tr.docChanged) this.cancel(); // Esc, or the cursor moved away
      }
    }
    const typed = update.transactions.some(
      (tr) => tr.docChanged && !tr.annotation(accepted) && tr.isUserEvent("input"),
    );
    const deleted = update.transactions.some((tr) => tr.isUserEvent("delete"));
    if (typed || deleted) this.schedule();
  }

  schedule() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.request(), DEBOUNCE_MS);
  }

  // Request now (Ctrl-Space), without waiting for typing.
  trigger(view) {
    this.view = view;
    clearTimeout(this.timer);
    this.request();
    return true;
  }

  cancel() {
    clearTimeout(this.timer);
    this.current?.controller.abort();
    this.current = null;
  }

  body(prefix, suffix) {
    const { model, language, path, maxTokens } = this.fields();
    const header = (language ? `# Language: ${language}\n` : "") + (path ? `# Path: ${path}\n` : "");
    // The seed's marker form, which every model takes (Ollama's `suffix` is refused by a
    // model without fill-in-the-middle); one space each side of a marker belongs to it.
    return {
      model,
      prompt: `${header}${prefix} <SUF> ${suffix} <MID>`,
      stream: true,
      options: { num_predict: maxTokens, temperature: 0 },
    };
  }

  async request() {
    const view = this.view;
    const selection = view.state.selection.main;
    if (!selection.empty) return;
    const doc = view.state.doc;
    const pos = selection.head;
    const prefix = doc.sliceString(0, pos);
    const suffix = doc.sliceString(pos);
    if (!prefix.trim() && !suffix.trim()) return;
    const body = this.body(prefix, suffix);
    const previous = this.current;
    const mine = { controller: new AbortController(), seq: ++this.seq };
    this.current = mine;
    this.renderController?.abort();
    this.panel.pending();
    const started = performance.now();
    let firstText = null;
    let text = "";
    try {
      const response = await api("api/generate", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Codefill-Session": SESSION },
        body: JSON.stringify(body),
        signal: mine.controller.signal,
      });
      previous?.controller.abort();
      if (!response.ok) {
        this.panel.error(await errorText(response));
        return;
      }
      const id = response.headers.get("X-Codefill-Completion-Id");
      for await (const line of lines(response)) {
        if (this.current !== mine) return;
        const piece = JSON.parse(line);
        if (piece.error) {
          this.panel.error(piece.error);
          return;
        }
        if (piece.response) {
          text += piece.response;
          firstText ??= performance.now() - started;
          this.show(doc, pos, text, id);
        }
        if (piece.done) {
          this.panel.finished(piece, { text, firstText, total: performance.now() - started, id });
          this.render(body);
          return;
        }
      }
    } catch (error) {
      previous?.controller.abort();
      if (error.name !== "AbortError") this.panel.error(error.message);
    }
  }

  // Draw the suggestion if the editor is still where the request was made.
  show(doc, pos, text, id) {
    const state = this.view.state;
    const head = state.selection.main;
    if (state.doc !== doc || !head.empty || head.head !== pos) return;
    this.view.dispatch({ effects: setGhost.of({ from: pos, text, id }) });
    this.telemetry.view(id);
  }

  // The prompt the model was given, from api/render with the same body.
  async render(body) {
    const controller = new AbortController();
    this.renderController = controller;
    try {
      const response = await api("api/render", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ ...body, stream: false }),
        signal: controller.signal,
      });
      if (response.ok) this.panel.rendered(await response.json());
      else this.panel.rendered({ error: await errorText(response) });
    } catch (error) {
      if (error.name !== "AbortError") this.panel.rendered({ error: error.message });
    }
  }
}
