// The first ollama-ai-provider, on the AI SDK 4 it was written for (ai@4, zod 3).
import { generateText, streamText } from "ai";
import { createOllama } from "ollama-ai-provider";
import { CHAT, MAX_TOKENS, main } from "../common.mjs";

const sampling = { maxTokens: MAX_TOKENS, temperature: 0, maxRetries: 0 };
const ollama = (base) => createOllama({ baseURL: `${base}/api` });
const finish = (text, usage, reason) => ({
  text, prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, finish_reason: reason,
});

await main({
  chat: async (base) => {
    const r = await generateText({ model: ollama(base)("default"), messages: CHAT, ...sampling });
    return finish(r.text, r.usage, r.finishReason);
  },
  chat_stream: async (base) => {
    let failure;
    const r = streamText({
      model: ollama(base)("default"), messages: CHAT, ...sampling,
      onError: ({ error }) => { failure = error; },
    });
    let text = "";
    for await (const part of r.textStream) text += part;
    if (failure) throw failure;
    return finish(text, await r.usage, await r.finishReason);
  },
});
