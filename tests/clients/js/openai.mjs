// The official `openai` JavaScript client.
import OpenAI from "openai";
import { CHAT, CODER, FIM_PREFIX, FIM_SUFFIX, MAX_TOKENS, main } from "./common.mjs";

const client = (base) => new OpenAI({ baseURL: `${base}/v1`, apiKey: "sk-no-key", maxRetries: 0 });
const counts = (u) => ({ prompt_tokens: u.prompt_tokens, completion_tokens: u.completion_tokens });
const sampling = { max_tokens: MAX_TOKENS, temperature: 0 };

async function streamed(chunks, pick) {
  let text = "";
  let usage;
  let finish;
  for await (const chunk of chunks) {
    if (chunk.choices.length) {
      text += pick(chunk.choices[0]) ?? "";
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    usage = chunk.usage ?? usage;
  }
  return { text, ...counts(usage), finish_reason: finish };
}

await main({
  chat: async (base) => {
    const r = await client(base).chat.completions.create({
      model: "default", messages: CHAT, ...sampling,
    });
    return { text: r.choices[0].message.content, ...counts(r.usage), finish_reason: r.choices[0].finish_reason };
  },
  chat_stream: async (base) => {
    const chunks = await client(base).chat.completions.create({
      model: "default", messages: CHAT, ...sampling, stream: true,
      stream_options: { include_usage: true },
    });
    return streamed(chunks, (c) => c.delta.content);
  },
  fim: async (base) => {
    const r = await client(base).completions.create({
      model: CODER, prompt: FIM_PREFIX, suffix: FIM_SUFFIX, ...sampling,
    });
    return { text: r.choices[0].text, ...counts(r.usage), finish_reason: r.choices[0].finish_reason };
  },
  fim_stream: async (base) => {
    const chunks = await client(base).completions.create({
      model: CODER, prompt: FIM_PREFIX, suffix: FIM_SUFFIX, ...sampling, stream: true,
      stream_options: { include_usage: true },
    });
    return streamed(chunks, (c) => c.text);
  },
  list: async (base) => {
    const models = [];
    for await (const model of client(base).models.list()) models.push(model.id);
    return { models };
  },
  retrieve: async (base) => {
    const model = await client(base).models.retrieve(CODER);
    return { id: model.id, object: model.object, owned_by: model.owned_by };
  },
});
