// The chat tab: a conversation streamed from v1/chat/completions (server-sent events).
import { $, api, errorText, formatMs, lines, SESSION } from "./common.js";

export class Chat {
  constructor(model) {
    this.model = model; // () => the model name picked
    this.messages = [];
    this.controller = null;
    $("#chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    $("#chat-stop").addEventListener("click", () => this.controller?.abort());
    $("#chat-clear").addEventListener("click", () => this.clear());
  }

  clear() {
    this.controller?.abort();
    this.messages = [];
    $("#chat-log").replaceChildren();
    $("#chat-stats").textContent = "";
  }

  bubble(role, text) {
    const item = document.createElement("div");
    item.className = `msg ${role}`;
    const who = document.createElement("div");
    who.className = "who";
    who.textContent = role;
    const body = document.createElement("div");
    body.className = "text";
    body.textContent = text;
    item.append(who, body);
    $("#chat-log").append(item);
    item.scrollIntoView({ block: "end" });
    return body;
  }

  async send() {
    const input = $("#chat-input");
    const content = input.value.trim();
    if (!content || this.controller) return;
    input.value = "";
    this.bubble("user", content);
    this.messages.push({ role: "user", content });
    const system = $("#chat-system").value.trim();
    const messages = system ? [{ role: "system", content: system }, ...this.messages] : this.messages;
    const reply = this.bubble("assistant", "");
    reply.classList.add("streaming");
    const controller = new AbortController();
    this.controller = controller;
    $("#chat-stop").disabled = false;
    const started = performance.now();
    let first = null;
    let text = "";
    let usage = null;
    try {
      const response = await api("v1/chat/completions", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Codefill-Session": SESSION },
        body: JSON.stringify({
          model: this.model(),
          messages,
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: Number($("#chat-max-tokens").value) || 256,
        }),
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(await errorText(response));
      for await (const line of lines(response)) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") break;
        const chunk = JSON.parse(data);
        if (chunk.error) throw new Error(chunk.error.message ?? String(chunk.error));
        const delta = chunk.choices?.[0]?.delta?.content;
        if (delta) {
          first ??= performance.now() - started;
          text += delta;
          reply.textContent = text;
          reply.dataset.chunks = String(Number(reply.dataset.chunks ?? 0) + 1);
          reply.scrollIntoView({ block: "end" });
        }
        if (chunk.usage) usage = chunk.usage;
      }
      this.messages.push({ role: "assistant", content: text });
      const tokens = usage ? `, ${usage.completion_tokens} tokens` : "";
      $("#chat-stats").textContent =
        `first text ${formatMs(first)}, total ${formatMs(performance.now() - started)}${tokens}`;
    } catch (error) {
      if (text) this.messages.push({ role: "assistant", content: text });
      const note = error.name === "AbortError" ? "stopped" : `error: ${error.message}`;
      reply.textContent = text ? `${text}\n[${note}]` : `[${note}]`;
    } finally {
      reply.classList.remove("streaming");
      this.controller = null;
      $("#chat-stop").disabled = true;
    }
  }
}
