// The panel beside the editor: what the last completion cost and what shaped it.
import { $, formatMs } from "./common.js";

function set(id, text) {
  $(`#${id}`).textContent = text;
}

export class Panel {
  pending() {
    set("m-status", "generating…");
  }

  error(message) {
    set("m-status", `error: ${message}`);
    $("#m-status").classList.add("bad");
  }

  // The final NDJSON line of api/generate, with what the page measured itself.
  finished(final, { text, firstText, total, id }) {
    const t = final.timings ?? {};
    $("#m-status").classList.remove("bad");
    const how = t.typeahead ? " (type-ahead: answered from an earlier completion)" : "";
    set("m-status", `${final.done_reason ?? "done"}${how}${text ? "" : ", no suggestion"}`);
    set("m-ttft", formatMs(firstText));
    set("m-total", `${formatMs(total)} (server ${formatMs(t.total_ms)})`);
    const server = [`queue ${formatMs(t.queue_ms)}`, `prompt ${formatMs(t.prompt_ms)}`];
    set("m-server", [...server, `generation ${formatMs(t.generation_ms)}`].join(", "));
    set("m-prompt-tokens", String(t.prompt_tokens ?? "—"));
    set("m-cached", String(t.cached_tokens ?? "—"));
    set("m-evaluated", String(t.evaluated_tokens ?? "—"));
    set("m-truncated", String(t.truncated_tokens ?? "—"));
    set("m-completion-tokens", String(t.completion_tokens ?? "—"));
    set("m-id", id ?? "— (this server does not name completions)");
    this.postprocess(final);
  }

  // The answer's "postprocess" field: null when nothing was cut, else the rule, its reason
  // and the raw text it removed. A server that does not report it leaves the field out.
  postprocess(final) {
    const removed = $("#m-removed");
    if (!("postprocess" in final)) {
      set("m-rule", "not reported by this server");
      set("m-reason", "");
      removed.hidden = true;
      return;
    }
    const report = final.postprocess;
    if (report === null) {
      set("m-rule", "nothing removed");
      set("m-reason", "");
      removed.hidden = true;
      return;
    }
    set("m-rule", report.rule);
    set("m-reason", report.reason);
    removed.textContent = report.removed;
    removed.hidden = false;
  }

  rendered(answer) {
    if (answer.error) {
      set("m-prompt", `(could not render: ${answer.error})`);
      return;
    }
    set("m-prompt", answer.prompt);
    const cut = answer.truncated_tokens ? `, ${answer.truncated_tokens} cut to fit` : "";
    set("m-prompt-size", `${answer.prompt_tokens} tokens${cut}`);
  }

  telemetry(status) {
    set("m-telemetry", status);
  }
}
