// The Vercel AI SDK (ai@6) with @ai-sdk/openai-compatible and with ollama-ai-provider-v2.
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { generateText, streamText } from "ai";
import { createOllama } from "ollama-ai-provider-v2";
import { CHAT, CODER, FIM_PREFIX, FIM_SUFFIX, MAX_TOKENS, main } from "./common.mjs";

const sampling = { maxOutputTokens: MAX_TOKENS, temperature: 0, maxRetries: 0 };
const compatible = (base) =>
  createOpenAICompatible({ name: "codefill", baseURL: `${base}/v1`, includeUsage: true });
const ollama = (base) => createOllama({ baseURL: `${base}/api` });
// ollama-ai-provider-v2 sends temperature and max_output_tokens at the top level, where
// Ollama ignores them; Ollama's own options go through providerOptions.
const ollamaOptions = {
  providerOptions: { ollama: { options: { num_predict: MAX_TOKENS, temperature: 0 } } },
};

const whole = async (model, request) => {
  const r = await generateText({ model, ...sampling, ...request });
  return finish(r.text, r.usage, r.finishReason);
};

async function streamed(model, request) {
  let failure;
  const r = streamText({ model, ...sampling, ...request, onError: ({ error }) => { failure = error; } });
  let text = "";
  for await (const part of r.textStream) text += part;
  if (failure) throw failure;
  return finish(text, await r.usage, await r.finishReason);
}

const finish = (text, usage, reason) => ({
  text, prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, finish_reason: reason,
});

await main({
  compatible_chat: (base) => whole(compatible(base).chatModel("default"), { messages: CHAT }),
  compatible_chat_stream: (base) => streamed(compatible(base).chatModel("default"), { messages: CHAT }),
  compatible_completion: (base) => whole(compatible(base).completionModel(CODER), { prompt: FIM_PREFIX }),
  compatible_completion_stream: (base) =>
    streamed(compatible(base).completionModel(CODER), { prompt: FIM_PREFIX }),
  ollama_chat: (base) => whole(ollama(base)("default"), { messages: CHAT, ...ollamaOptions }),
  ollama_chat_stream: (base) =>
    streamed(ollama(base)("default"), { messages: CHAT, ...ollamaOptions }),
  ollama_fim: (base) =>
    whole(ollama(base).completion(CODER, { suffix: FIM_SUFFIX }), {
      prompt: FIM_PREFIX, ...ollamaOptions,
    }),
  ollama_fim_stream: (base) =>
    streamed(ollama(base).completion(CODER, { suffix: FIM_SUFFIX }), {
      prompt: FIM_PREFIX, ...ollamaOptions,
    }),
});
