// The official `ollama` JavaScript client (ollama-js).
import { Ollama } from "ollama";
import { CHAT, CODER, FIM_PREFIX, FIM_SUFFIX, MAX_TOKENS, main } from "./common.mjs";

const options = { num_predict: MAX_TOKENS, temperature: 0 };
const counts = (r) => ({ prompt_tokens: r.prompt_eval_count, completion_tokens: r.eval_count });

async function streamed(parts, pick) {
  let text = "";
  let last;
  for await (const part of parts) {
    text += pick(part);
    last = part;
  }
  return { text, ...counts(last), done_reason: last.done_reason };
}

await main({
  chat: async (host) => {
    const r = await new Ollama({ host }).chat({ model: "default", messages: CHAT, options });
    return { text: r.message.content, ...counts(r), done_reason: r.done_reason };
  },
  chat_stream: async (host) => {
    const parts = await new Ollama({ host }).chat({
      model: "default", messages: CHAT, options, stream: true,
    });
    return streamed(parts, (p) => p.message.content);
  },
  fim: async (host) => {
    const r = await new Ollama({ host }).generate({
      model: CODER, prompt: FIM_PREFIX, suffix: FIM_SUFFIX, options,
    });
    return { text: r.response, ...counts(r), done_reason: r.done_reason };
  },
  fim_stream: async (host) => {
    const parts = await new Ollama({ host }).generate({
      model: CODER, prompt: FIM_PREFIX, suffix: FIM_SUFFIX, options, stream: true,
    });
    return streamed(parts, (p) => p.response);
  },
  list: async (host) => {
    const r = await new Ollama({ host }).list();
    return { models: r.models.map((m) => m.name) };
  },
});
