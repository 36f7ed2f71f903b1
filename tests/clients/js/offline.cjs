// Preloaded into Continue's CLI (NODE_OPTIONS=--require) so a test run stays on this
// machine: cn checks for a newer version at start-up (GET https://api.continue.dev/cn/info)
// with no setting to turn that off. Requests to anything but the loopback fail at once,
// as they would offline; cn already ignores that failure.
const local = /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])[:/]/;
const fetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = typeof input === "string" ? input : input.url ?? String(input);
  if (!local.test(url)) return Promise.reject(new TypeError(`offline test run: ${url}`));
  return fetch(input, init);
};
