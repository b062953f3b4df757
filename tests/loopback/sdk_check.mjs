// The official npm SDKs (openai, @anthropic-ai/sdk) against a moebench server: every check prints
// one line; the first failure exits non-zero naming the check.
// usage: node sdk_check.mjs loopback|serve BASE_URL API_KEY NODE_MODULES_DIR
import { createRequire } from 'module';

const [mode, base, apiKey, modules] = process.argv.slice(2);
if (!mode || !base || !modules) {
  console.error('usage: sdk_check.mjs loopback|serve BASE_URL API_KEY NODE_MODULES_DIR');
  process.exit(2);
}
const require = createRequire(modules.replace(/\/?$/, '/'));
const openaiMod = require('openai');
const OpenAI = openaiMod.OpenAI ?? openaiMod.default;
const anthropicMod = require('@anthropic-ai/sdk');
const Anthropic = anthropicMod.Anthropic ?? anthropicMod.default;

let current = '';
function check(cond, what) {
  if (!cond) throw new Error(`${current}: ${what}`);
}
async function run(name, fn) {
  current = name;
  await fn();
  console.log(`ok   ${name}`);
}
function skip(name, why) { console.log(`skip ${name} (${why})`); }

// The loopback server's logprob of a piece: -(0.05 + (fnv1a64(utf8 bytes) % 1000) / 500).
function pieceLogprob(piece) {
  let h = 14695981039346656037n;
  for (const b of Buffer.from(piece, 'utf8')) {
    h ^= BigInt(b);
    h = (h * 1099511628211n) & 0xffffffffffffffffn;
  }
  return -(0.05 + Number(h % 1000n) / 500.0);
}
const codePoints = (s) => [...s].length;
const unique = (label) => `${label} ${process.pid} ${Date.now()} ${Math.random()}`;

async function expectError(name, promise, cls, status) {
  try {
    await promise;
  } catch (e) {
    check(e instanceof cls, `expected ${cls.name}, got ${e?.constructor?.name}: ${e?.message}`);
    check(e.status === status, `expected status ${status}, got ${e.status}`);
    return e;
  }
  check(false, `expected ${cls.name}, the call succeeded`);
}

async function ledger() {
  const r = await fetch(`${base}/_loopback/ledger`);
  check(r.ok, `GET /_loopback/ledger: ${r.status}`);
  return r.json();
}
async function resetLedger() {
  const r = await fetch(`${base}/_loopback/reset`, { method: 'POST' });
  check(r.ok, `POST /_loopback/reset: ${r.status}`);
}

// Completions echo + logprobs as lm-evaluation-harness' local-completions reads them: the text is
// the prompt then the answer, the tokens join to it, text_offset counts code points, the first
// token has no logprob and every other one's is among its top_logprobs.
function checkEchoLogprobs(c, prompt, pieceValue) {
  check(c.text.startsWith(prompt), `echo: '${c.text}'`);
  const lp = c.logprobs;
  check(lp.tokens.join('') === c.text, 'tokens do not join to the text');
  check(lp.token_logprobs[0] === null, 'first prompt token logprob not null');
  let offset = 0;
  lp.tokens.forEach((t, i) => {
    check(lp.text_offset[i] === offset, `text_offset[${i}] ${lp.text_offset[i]} != ${offset}`);
    offset += codePoints(t);
    if (i === 0) return;
    const v = lp.token_logprobs[i];
    check(typeof v === 'number' && v <= 0, `token_logprobs[${i}] ${v}`);
    if (pieceValue) check(Math.abs(v - pieceValue(t)) < 1e-9, `token_logprobs[${i}]`);
    else check(Object.values(lp.top_logprobs[i]).some((x) => Math.abs(x - v) < 1e-9), `top_logprobs[${i}] lacks the token`);
  });
}

async function openaiChecks(client, model, { loopback, deepseek, faults }) {
  const messages = [{ role: 'user', content: 'What is 2+2?' }];
  await run('openai chat.completions.create', async () => {
    const r = await client.chat.completions.create({ model, messages, max_tokens: 8 });
    check(r.object === 'chat.completion', `object ${r.object}`);
    check(typeof r.choices[0].message.content === 'string', 'no message.content');
    check(r.choices[0].message.role === 'assistant', 'role');
    check(['stop', 'length'].includes(r.choices[0].finish_reason), `finish ${r.choices[0].finish_reason}`);
    const u = r.usage;
    check(u && u.prompt_tokens > 0 && u.completion_tokens > 0, `usage ${JSON.stringify(u)}`);
    check(u.total_tokens === u.prompt_tokens + u.completion_tokens, 'total_tokens');
  });
  await run('openai chat stream with include_usage', async () => {
    const stream = await client.chat.completions.create({
      model, messages, max_tokens: 8, stream: true, stream_options: { include_usage: true },
    });
    let text = '', usage = null, finish = null, chunks = 0;
    for await (const chunk of stream) {
      ++chunks;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta?.content ?? '';
        if (c.finish_reason) finish = c.finish_reason;
      }
    }
    check(chunks > 2, `only ${chunks} chunks`);
    check(finish !== null, 'no finish_reason');
    check(usage && usage.completion_tokens > 0, `usage chunk ${JSON.stringify(usage)}`);
    if (loopback) check(text === 'The answer is 0.', `streamed text '${text}'`);
  });
  await run('openai completions echo+logprobs', async () => {
    const prompt = 'h\u00e9llo \u4e16\u754c';
    const r = await client.completions.create({ model, prompt, max_tokens: 3, echo: true, logprobs: 1 });
    checkEchoLogprobs(r.choices[0], prompt, loopback ? pieceLogprob : null);
  });
  if (!loopback) {
    await run('openai completions echo+logprobs with max_tokens 0 (lm-eval local-completions)', async () => {
      const prompt = 'Question: 2+2?\nAnswer: 4';
      const r = await client.completions.create({ model, prompt, max_tokens: 0, echo: true, logprobs: 1, temperature: 0 });
      const c = r.choices[0];
      check(c.text === prompt, `text '${c.text}'`);
      check(r.usage.completion_tokens === 0, `usage ${JSON.stringify(r.usage)}`);
      checkEchoLogprobs(c, prompt, null);
    });
    await run('openai chat logprobs with top_logprobs', async () => {
      const r = await client.chat.completions.create({ model, messages, max_tokens: 4, logprobs: true, top_logprobs: 2 });
      const content = r.choices[0].logprobs?.content;
      check(Array.isArray(content) && content.length > 0, `logprobs ${JSON.stringify(r.choices[0].logprobs)}`);
      for (const t of content) {
        check(typeof t.token === 'string' && t.logprob <= 0 && Array.isArray(t.bytes), `entry ${JSON.stringify(t)}`);
        check(t.top_logprobs.length === 2, `top_logprobs ${JSON.stringify(t.top_logprobs)}`);
      }
    });
    await run('openai completions.create', async () => {
      const r = await client.completions.create({ model, prompt: 'Hello', max_tokens: 4 });
      check(typeof r.choices[0].text === 'string', 'no text');
      check(r.usage && r.usage.prompt_tokens > 0, `usage ${JSON.stringify(r.usage)}`);
    });
  }
  await run('openai models.list', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    check(ids.length > 0, 'no models');
  });
  if (deepseek) {
    await run('deepseek reasoning_content', async () => {
      const r = await client.chat.completions.create({ model: 'deepseek-reasoner', messages });
      check(typeof r.choices[0].message.reasoning_content === 'string', 'no reasoning_content');
      check(r.usage.completion_tokens_details.reasoning_tokens > 0, 'no reasoning_tokens');
      check(r.usage.prompt_cache_hit_tokens !== undefined, 'no prompt_cache_hit_tokens');
      const stream = await client.chat.completions.create({
        model: 'deepseek-reasoner', messages, stream: true, stream_options: { include_usage: true },
      });
      let reasoning = '';
      for await (const chunk of stream) for (const c of chunk.choices) reasoning += c.delta?.reasoning_content ?? '';
      check(reasoning === r.choices[0].message.reasoning_content, 'streamed reasoning differs');
    });
  }
  if (faults) {
    await run('openai retries a 429 by itself', async () => {
      await resetLedger();
      const r = await client.chat.completions.create(
        { model, messages: [{ role: 'user', content: unique('rate limit') }] },
        { headers: { 'X-Loopback-Fault': 'rate_limit', 'X-Loopback-Fault-Attempts': '1' } });
      check(r.choices[0].message.content === 'The answer is 0.', 'retried answer');
      const l = await ledger();
      check(l.keys.length === 1, `${l.keys.length} keys in the ledger`);
      check(l.keys[0].attempts === 2, `attempts ${l.keys[0].attempts}`);
      check(JSON.stringify(l.keys[0].outcomes) === '["rate_limit","ok"]', `outcomes ${l.keys[0].outcomes}`);
    });
    await run('openai bad_request is BadRequestError, not retried', async () => {
      await resetLedger();
      await expectError('bad', client.chat.completions.create(
        { model, messages: [{ role: 'user', content: unique('bad') }] },
        { headers: { 'X-Loopback-Fault': 'bad_request', 'X-Loopback-Fault-Attempts': 'all' } }),
        OpenAI.BadRequestError, 400);
      const l = await ledger();
      check(l.keys[0].attempts === 1, `attempts ${l.keys[0].attempts}`);
    });
    await run('openai wrong key is AuthenticationError', async () => {
      const bad = new OpenAI({ apiKey: 'sk-wrong', baseURL: `${base}/v1`, maxRetries: 0 });
      await expectError('auth', bad.chat.completions.create({ model, messages }),
        OpenAI.AuthenticationError, 401);
    });
  }
}

async function anthropicChecks(client) {
  const model = 'claude-loopback';
  const messages = [{ role: 'user', content: 'What is 2+2?' }];
  await run('anthropic messages.create', async () => {
    const m = await client.messages.create({ model, max_tokens: 64, system: 'Be brief.', messages });
    check(m.type === 'message' && m.role === 'assistant', 'type/role');
    check(m.content[0].type === 'text' && m.content[0].text === 'The answer is 0.', `content ${JSON.stringify(m.content)}`);
    check(m.stop_reason === 'end_turn', `stop_reason ${m.stop_reason}`);
    check(m.usage.input_tokens > 0 && m.usage.output_tokens === 4, `usage ${JSON.stringify(m.usage)}`);
  });
  await run('anthropic messages.stream finalMessage and text events', async () => {
    let text = '';
    const stream = client.messages.stream({ model, max_tokens: 64, messages }).on('text', (t) => { text += t; });
    const m = await stream.finalMessage();
    check(text === 'The answer is 0.', `text events '${text}'`);
    check(m.content[0].text === text, 'finalMessage text');
    check(m.stop_reason === 'end_turn', `stop_reason ${m.stop_reason}`);
    check(m.usage.output_tokens === 4 && m.usage.input_tokens > 0, `usage ${JSON.stringify(m.usage)}`);
  });
  await run('anthropic thinking block', async () => {
    const m = await client.messages.create({
      model, max_tokens: 2048, messages, thinking: { type: 'enabled', budget_tokens: 1024 },
    });
    check(m.content[0].type === 'thinking' && m.content[0].thinking.length > 0, 'no thinking block');
  });
  await run('anthropic retries a 429 by itself', async () => {
    await resetLedger();
    const m = await client.messages.create(
      { model, max_tokens: 64, messages: [{ role: 'user', content: unique('rate limit') }] },
      { headers: { 'X-Loopback-Fault': 'rate_limit', 'X-Loopback-Fault-Attempts': '1' } });
    check(m.content[0].text === 'The answer is 0.', 'retried answer');
    const l = await ledger();
    check(l.keys.length === 1 && l.keys[0].attempts === 2, `ledger ${JSON.stringify(l.keys)}`);
  });
  await run('anthropic bad_request is BadRequestError', async () => {
    await expectError('bad', client.messages.create(
      { model, max_tokens: 64, messages: [{ role: 'user', content: unique('bad') }] },
      { headers: { 'X-Loopback-Fault': 'bad_request', 'X-Loopback-Fault-Attempts': 'all' } }),
      Anthropic.BadRequestError, 400);
  });
  await run('anthropic wrong key is AuthenticationError', async () => {
    const bad = new Anthropic({ apiKey: 'sk-wrong', baseURL: base, maxRetries: 0 });
    await expectError('auth', bad.messages.create({ model, max_tokens: 8, messages }),
      Anthropic.AuthenticationError, 401);
  });
}

try {
  const openai = new OpenAI({ apiKey: apiKey || 'unused', baseURL: `${base}/v1`, maxRetries: 2 });
  if (mode === 'loopback') {
    await openaiChecks(openai, 'gpt-loopback', { loopback: true, deepseek: true, faults: true });
    await anthropicChecks(new Anthropic({ apiKey, baseURL: base, maxRetries: 2 }));
  } else {
    let model = 'default';
    for await (const m of openai.models.list()) { model = m.id; break; }
    await openaiChecks(openai, model, { loopback: false, deepseek: false, faults: false });
    skip('anthropic checks', 'moebench serve speaks only the OpenAI format');
  }
  console.log(`sdk_check ${mode}: all checks passed`);
} catch (e) {
  console.error(`sdk_check ${mode}: FAILED ${e.message}`);
  process.exit(1);
}
