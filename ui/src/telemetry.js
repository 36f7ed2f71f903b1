// Acceptance telemetry: view, accept and dismiss events for completions the server named.
//
// A completion answer that carries X-Codefill-Completion-Id can be reported on with
// POST api/events {"completion_id", "event": "view"|"accept"|"dismiss", "kind"}. Servers
// without the route answer 404 ("no route ..."); then the page stops sending for the rest of its life.
import { api, errorText } from "./common.js";

export class Telemetry {
  constructor(onStatus) {
    this.available = true;
    this.viewed = new Set();
    this.onStatus = onStatus;
  }

  view(id) {
    if (!id || this.viewed.has(id)) return;
    this.viewed.add(id);
    this.send(id, "view", "whole");
  }

  accept(id, kind) {
    if (id && this.viewed.has(id)) this.send(id, "accept", kind);
  }

  dismiss(id) {
    if (id && this.viewed.has(id)) this.send(id, "dismiss", "whole");
  }

  async send(id, event, kind) {
    if (!this.available) return;
    const body = JSON.stringify({ completion_id: id, event, kind });
    try {
      const response = await api("api/events", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body,
      });
      if (response.ok) {
        this.onStatus(`sent ${event}`);
        return;
      }
      const message = await errorText(response);
      if (response.status === 405 || (response.status === 404 && /^no route/.test(message))) {
        this.available = false;
        this.onStatus("this server has no telemetry route (api/events)");
        return;
      }
      this.onStatus(`${event} refused: ${message}`);
    } catch (error) {
      this.onStatus(`${event} not sent: ${error.message}`);
    }
  }
}
