// LangChain.js's Ollama integration (@langchain/ollama, on the ollama-js client).
import { ChatOllama, Ollama } from "@langchain/ollama";
import { CHAT, CODER, FIM_PREFIX, MAX_TOKENS, main } from "./common.mjs";

const settings = (baseUrl, model) => ({ baseUrl, model, temperature: 0, numPredict: MAX_TOKENS });
const usage = (message) => ({
  prompt_tokens: message.usage_metadata?.input_tokens,
  completion_tokens: message.usage_metadata?.output_tokens,
});

await main({
  chat: async (base) => {
    const r = await new ChatOllama(settings(base, "default")).invoke(CHAT);
    return { text: r.content, ...usage(r), done_reason: r.response_metadata?.done_reason };
  },
  chat_stream: async (base) => {
    let whole;
    for await (const chunk of await new ChatOllama(settings(base, "default")).stream(CHAT)) {
      whole = whole ? whole.concat(chunk) : chunk;
    }
    return { text: whole.content, ...usage(whole), done_reason: whole.response_metadata?.done_reason };
  },
  // The LLM class always streams /api/generate and returns only the text.
  completion: async (base) => ({ text: await new Ollama(settings(base, CODER)).invoke(FIM_PREFIX) }),
});
