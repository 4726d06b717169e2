// SPDX-License-Identifier: GPL-3.0-or-later
//
// Unmodified clients written for Ollama and for OpenAI — the `ollama` and
// `openai` npm packages, as a program would use them — against a running
// `hearth serve` (tests/test-clients.py starts it with stories260K as
// "stories"). Prints TAP.
//
// Usage: node clients.mjs URL SERVER_PID EXPECTED_TEXT
//   EXPECTED_TEXT: what `hearth run stories "Once upon a time"` writes at
//   temperature 0 with 40 tokens — every API must give the same words.

import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { readFileSync } from 'node:fs';

const [url, serverPid, expected] = process.argv.slice(2);
const ollama = new Ollama({ host: url });
const openai = new OpenAI({ baseURL: `${url}v1`, apiKey: 'not-needed', maxRetries: 0 });
const MODEL = 'stories';
const PROMPT = 'Once upon a time';
const GREEDY = { temperature: 0, num_predict: 40 };

let n = 0;
let failed = 0;

function ok(cond, name, detail) {
  n++;
  if (cond) {
    console.log(`ok ${n} - ${name}`);
  } else {
    failed++;
    console.log(`not ok ${n} - ${name}`);
    if (detail !== undefined) console.log(`# ${String(detail).split('\n').join('\n# ')}`);
  }
}

async function test(name, fn) {
  try {
    await fn();
  } catch (e) {
    ok(false, name, e && e.stack ? e.stack : e);
  }
}

// A promise that fails after ms: a test that hangs is a failure, not a wait.
function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function rssKiB() {
  const status = readFileSync(`/proc/${serverPid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
}

// ---- Ollama's client ----------------------------------------------------

await test('ollama: version', async () => {
  const v = await ollama.version();
  ok(typeof v.version === 'string' && /^\d+\.\d+\.\d+/.test(v.version), 'ollama: version', JSON.stringify(v));
});

await test('ollama: list', async () => {
  const { models } = await ollama.list();
  const m = models.find((m) => m.name === 'stories:latest');
  ok(m !== undefined && m.size > 0 && m.details.family === 'llama', 'ollama: list names stories:latest with its details',
     JSON.stringify(models));
});

let streamedChat = '';
await test('ollama: chat, streamed', async () => {
  const stream = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], stream: true,
                                     options: GREEDY });
  let last;
  let pieces = 0;
  for await (const part of stream) {
    streamedChat += part.message.content;
    pieces++;
    last = part;
  }
  ok(last.done === true && last.done_reason === 'length' && last.eval_count === 40 && last.prompt_eval_count > 0
     && last.total_duration > 0 && last.eval_duration > 0,
     'ollama: chat streams and ends with done, done_reason and the counts', JSON.stringify(last));
  ok(streamedChat === expected, 'ollama: chat at temperature 0 writes what `hearth run` writes',
     `chat: ${JSON.stringify(streamedChat)}\nrun:  ${JSON.stringify(expected)}`);
  ok(pieces >= 2, 'ollama: chat came in more than one piece', pieces);
});

await test('ollama: chat, whole', async () => {
  const r = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], stream: false,
                                options: GREEDY });
  ok(r.done === true && r.message.role === 'assistant' && r.message.content === expected,
     'ollama: chat with stream false gives the same text at once', JSON.stringify(r));
});

await test('ollama: generate', async () => {
  let text = '';
  for await (const part of await ollama.generate({ model: MODEL, prompt: PROMPT, stream: true, options: GREEDY }))
    text += part.response;
  const whole = await ollama.generate({ model: MODEL, prompt: PROMPT, options: GREEDY });
  ok(text === expected && whole.response === expected && whole.done_reason === 'length',
     'ollama: generate, streamed and whole, writes the same text', `${JSON.stringify(text)}\n${JSON.stringify(whole)}`);
});

await test('ollama: raw generate', async () => {
  const r = await ollama.generate({ model: MODEL, prompt: 'Tom had a red ball', raw: true,
                                    options: { temperature: 0, num_predict: 8 } });
  ok(r.done === true && r.response.length > 0 && r.eval_count === 8, 'ollama: raw generate', JSON.stringify(r));
});

await test('ollama: ps', async () => {
  const { models } = await ollama.ps();
  const m = models.find((m) => m.name === 'stories:latest');
  ok(m !== undefined && new Date(m.expires_at) > new Date() && m.context_length > 0,
     'ollama: ps shows the loaded model and when it will be unloaded', JSON.stringify(models));
});

await test('ollama: unknown model', async () => {
  try {
    await ollama.chat({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    ok(false, 'ollama: an unknown model is an error');
  } catch (e) {
    ok(e.status_code === 404 && /no-such-model/.test(e.message), 'ollama: an unknown model is a 404 that names it',
       `${e.status_code} ${e.message}`);
  }
});

await test('ollama: bad option', async () => {
  try {
    await ollama.generate({ model: MODEL, prompt: PROMPT, options: { temperature: 'hot' } });
    ok(false, 'ollama: a bad option is an error');
  } catch (e) {
    ok(e.status_code === 400 && /temperature/.test(e.message), 'ollama: a bad option is a 400 that names it',
       `${e.status_code} ${e.message}`);
  }
});

await test('ollama: abort', async () => {
  // a reply without end (minutes, in a context of 100000 tokens), aborted
  // after its first piece: the model is free for the next at once
  const stream = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: PROMPT }], stream: true,
                                     options: { temperature: 0.8, num_predict: -1, num_ctx: 100000 } });
  let pieces = 0;
  try {
    for await (const part of stream) {
      pieces++;
      if (pieces === 1) stream.abort();
    }
  } catch (e) {
    if (e.name !== 'AbortError') throw e;
  }
  const t0 = Date.now();
  const r = await within(15000, ollama.generate({ model: MODEL, prompt: PROMPT, options: GREEDY }), 'after abort');
  ok(r.response === expected, 'ollama: after a client aborts mid-stream, the next request is answered',
     `${Date.now() - t0} ms, ${JSON.stringify(r.response)}`);
});

await test('ollama: unload', async () => {
  const r = await ollama.generate({ model: MODEL, prompt: '', keep_alive: 0 });
  const { models } = await ollama.ps();
  ok(r.done_reason === 'unload' && models.length === 0, 'ollama: an empty prompt with keep_alive 0 unloads the model',
     `${JSON.stringify(r)} ${JSON.stringify(models)}`);
  const l = await ollama.generate({ model: MODEL, prompt: '', keep_alive: '10m' });
  const after = await ollama.ps();
  const m = after.models.find((m) => m.name === 'stories:latest');
  const minutes = m ? (new Date(m.expires_at) - new Date()) / 60000 : 0;
  ok(l.done_reason === 'load' && minutes > 9 && minutes <= 10.1,
     'ollama: an empty prompt loads the model, for its keep_alive', `${JSON.stringify(l)} ${minutes}`);
});

// ---- Ollama's client: the models ---------------------------------------------

await test('ollama: show', async () => {
  const s = await ollama.show({ model: MODEL });
  ok(s.details.family === 'llama' && s.details.format === 'gguf' && s.model_info['general.architecture'] === 'llama'
     && s.capabilities.length === 1 && s.capabilities[0] === 'completion' && /FROM /.test(s.modelfile),
     'ollama: show gives the details, model_info, capabilities and Modelfile', JSON.stringify({ ...s, model_info: 0 }));
});

await test('ollama: create, then chat with it', async () => {
  // stories has no chat template: a Go template of Ollama's puts the
  // system prompt before the conversation
  const steps = [];
  for await (const part of await ollama.create({ model: 'mario', from: MODEL, system: 'You are Mario.',
                                                  template: '{{ if .System }}{{ .System }} {{ end }}{{ .Prompt }}',
                                                  parameters: { num_predict: 5, temperature: 0 }, stream: true }))
    steps.push(part.status);
  ok(steps[0] === 'gathering model components' && steps.at(-1) === 'success', 'ollama: create streams its steps',
     JSON.stringify(steps));
  const shown = await ollama.show({ model: 'mario' });
  ok(shown.system === 'You are Mario.' && /num_predict\s+5/.test(shown.parameters) && shown.details.parent_model !== ''
     && /\.System/.test(shown.template), 'ollama: show gives what create set', JSON.stringify({ ...shown, model_info: 0 }));
  const messages = [{ role: 'user', content: PROMPT }];
  const mario = await ollama.chat({ model: 'mario', messages });
  const plain = await ollama.chat({ model: MODEL, messages, options: { num_predict: 5 } });
  ok(mario.eval_count <= 5 && mario.done_reason === 'length',
     'ollama: a chat with the new model stops where its num_predict says', JSON.stringify(mario));
  ok(mario.prompt_eval_count > plain.prompt_eval_count,
     'ollama: and its system prompt is read before the conversation',
     `${mario.prompt_eval_count} vs ${plain.prompt_eval_count}`);

  // a stop string of the profile's cuts the greedy text where it comes
  const stop = ` ${expected.trim().split(/\s+/)[3]}`;
  await ollama.create({ model: 'peach', from: MODEL, parameters: { stop: [stop], temperature: 0, num_predict: 40 } });
  const peach = await ollama.chat({ model: 'peach', messages });
  const cut = expected.slice(0, expected.indexOf(stop));
  ok(cut.length > 0 && peach.message.content === cut && peach.done_reason === 'stop',
     'ollama: a chat with a model made with a stop parameter stops there', `${JSON.stringify(stop)} ${JSON.stringify(peach)}`);
  await ollama.delete({ model: 'peach' });
});

await test('ollama: copy and delete', async () => {
  await ollama.copy({ source: 'mario', destination: 'luigi' });
  let { models } = await ollama.list();
  ok(models.some((m) => m.name === 'luigi:latest'), 'ollama: copy', JSON.stringify(models.map((m) => m.name)));
  await ollama.delete({ model: 'luigi' });
  await ollama.delete({ model: 'mario' });
  ({ models } = await ollama.list());
  const names = models.map((m) => m.name);
  ok(!names.includes('luigi:latest') && !names.includes('mario:latest') && names.includes('stories:latest'),
     'ollama: delete', JSON.stringify(names));
});

await test('ollama: refusals', async () => {
  for (const [what, call, status] of [
    ['create from a model that is not there', () => ollama.create({ model: 'x', from: 'no-such-model' }), 404],
    ['embed', () => ollama.embed({ model: MODEL, input: 'hi' }), 501],
    ['push', () => ollama.push({ model: MODEL }), 400],
  ]) {
    try {
      await call();
      ok(false, `ollama: ${what} is refused`);
    } catch (e) {
      ok(e.status_code === status && e.message.length > 0, `ollama: ${what} is refused (${status})`,
         `${e.status_code} ${e.message}`);
    }
  }
});

// ---- OpenAI's client ----------------------------------------------------

await test('openai: models', async () => {
  const ids = [];
  for await (const m of openai.models.list()) ids.push(m.id);
  const one = await openai.models.retrieve('stories:latest');
  ok(ids.includes('stories:latest') && one.id === 'stories:latest' && one.object === 'model',
     'openai: models.list and models.retrieve', `${JSON.stringify(ids)} ${JSON.stringify(one)}`);
});

await test('openai: chat, streamed', async () => {
  const stream = await openai.chat.completions.create({
    model: MODEL, messages: [{ role: 'user', content: PROMPT }], stream: true, temperature: 0, max_tokens: 40,
    stream_options: { include_usage: true },
  });
  let text = '';
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.choices.length > 0) {
      text += chunk.choices[0].delta.content ?? '';
      finish = chunk.choices[0].finish_reason ?? finish;
    }
    if (chunk.usage) usage = chunk.usage;
  }
  ok(text === expected, 'openai: a streamed chat at temperature 0 writes what `hearth run` writes',
     `${JSON.stringify(text)}\n${JSON.stringify(expected)}`);
  ok(finish === 'length' && usage && usage.completion_tokens === 40 && usage.prompt_tokens > 0
     && usage.total_tokens === usage.prompt_tokens + 40,
     'openai: the stream ends with finish_reason and, asked for, the usage', `${finish} ${JSON.stringify(usage)}`);
});

await test('openai: chat, whole', async () => {
  const r = await openai.chat.completions.create({
    model: MODEL, messages: [{ role: 'system', content: '' }, { role: 'user', content: PROMPT }], temperature: 0,
    max_completion_tokens: 40,
  });
  ok(r.object === 'chat.completion' && r.choices[0].message.content.length > 0 && r.choices[0].finish_reason === 'length'
     && r.usage.completion_tokens === 40,
     'openai: chat without streaming', JSON.stringify(r));
});

await test('openai: completions', async () => {
  const r = await openai.completions.create({ model: MODEL, prompt: PROMPT, temperature: 0, max_tokens: 40 });
  let text = '';
  for await (const c of await openai.completions.create({ model: MODEL, prompt: PROMPT, temperature: 0,
                                                           max_tokens: 40, stream: true }))
    text += c.choices[0]?.text ?? '';
  ok(r.choices[0].text === expected && text === expected, 'openai: completions, whole and streamed',
     `${JSON.stringify(r)}\n${JSON.stringify(text)}`);
});

await test('openai: errors', async () => {
  try {
    await openai.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'hi' }] });
    ok(false, 'openai: an unknown model is an error');
  } catch (e) {
    ok(e instanceof OpenAI.NotFoundError && /no-such-model/.test(e.message), 'openai: an unknown model is NotFoundError',
       `${e.constructor.name} ${e.message}`);
  }
  try {
    await openai.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }],
                                           tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] });
    ok(false, 'openai: tools are refused');
  } catch (e) {
    ok(e instanceof OpenAI.BadRequestError && /tools/.test(e.message), 'openai: tools are refused with BadRequestError',
       `${e.constructor.name} ${e.message}`);
  }
});

// ---- JSON output ------------------------------------------------------------

const PERSON = { type: 'object', properties: { name: { type: 'string' }, age: { type: 'integer' } },
                 required: ['name', 'age'] };

await test('json', async () => {
  const a = await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'Tell me about Lily.' }],
                                format: PERSON, options: { temperature: 0.8, seed: 3, num_predict: 120 } });
  let person = null;
  try { person = JSON.parse(a.message.content); } catch (e) { /* stays null */ }
  ok(person !== null && typeof person.name === 'string' && Number.isInteger(person.age),
     'ollama: format with a JSON schema gives a document of it', JSON.stringify(a));
  const b = await ollama.generate({ model: MODEL, prompt: 'Once upon a time', format: 'json',
                                    options: { temperature: 0.8, seed: 5, num_predict: 120 } });
  let doc = null;
  try { doc = JSON.parse(b.response); } catch (e) { /* stays null */ }
  ok(doc !== null && typeof doc === 'object' && !Array.isArray(doc), 'ollama: format "json" gives a JSON object',
     JSON.stringify(b));
  const c = await openai.chat.completions.create({
    model: MODEL, messages: [{ role: 'user', content: 'Tell me about Tom.' }], max_tokens: 120, seed: 7,
    response_format: { type: 'json_schema', json_schema: { name: 'person', schema: PERSON } },
  });
  let p2 = null;
  try { p2 = JSON.parse(c.choices[0].message.content); } catch (e) { /* stays null */ }
  ok(p2 !== null && typeof p2.name === 'string' && Number.isInteger(p2.age),
     'openai: response_format json_schema gives a document of it', JSON.stringify(c));
  try {
    await ollama.chat({ model: MODEL, messages: [{ role: 'user', content: 'hi' }],
                        format: { type: 'string', pattern: '^a+$' } });
    ok(false, 'ollama: a schema Hearth cannot follow is refused');
  } catch (e) {
    ok(e.status_code === 400 && /pattern/.test(e.message), 'ollama: a schema Hearth cannot follow is a 400 naming what',
       `${e.status_code} ${e.message}`);
  }
});

// ---- many at once ---------------------------------------------------------

// HEARTH_MAX_QUEUE is 4 for this server: of 12 clients at once, each is
// answered or refused with 503 at once; none hangs.
async function burst() {
  const clients = [];
  for (let i = 0; i < 12; i++) {
    clients.push((async () => {
      try {
        let text = '';
        for await (const part of await ollama.chat({ model: MODEL, stream: true,
                                                     messages: [{ role: 'user', content: `${PROMPT} ${i}` }],
                                                     options: { temperature: 0, num_predict: 24 } }))
          text += part.message.content;
        return text.length > 0 ? 'answered' : 'empty';
      } catch (e) {
        return e.status_code === 503 ? 'busy' : `error ${e.status_code} ${e.message}`;
      }
    })());
  }
  return within(60000, Promise.all(clients), 'twelve clients at once');
}

await test('load', async () => {
  const first = await burst();
  const rss1 = rssKiB();
  for (let round = 0; round < 4; round++) await burst();
  const last = await burst();
  const rss2 = rssKiB();
  const counts = (r) => r.reduce((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
  ok(first.every((r) => r === 'answered' || r === 'busy') && first.includes('answered') && first.includes('busy'),
     `load: twelve clients at once, four places: each answered or told 503 ${JSON.stringify(counts(first))}`,
     JSON.stringify(first));
  ok(last.every((r) => r === 'answered' || r === 'busy'), 'load: and again, five rounds later',
     JSON.stringify(counts(last)));
  ok(rss2 - rss1 < 16 * 1024, `load: the server’s memory is stable over rounds (${rss1} KiB → ${rss2} KiB)`);
});

console.log(`1..${n}`);
process.exit(failed > 0 ? 1 : 0);
