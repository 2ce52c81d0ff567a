// A small recommendation service on Node's own `http`: it loads a CSV of shop events
// (`user,item,value`), trains ALS with a popularity fallback (off the event loop: the server
// answers from the first request on, with popularity until ALS is ready), and serves
//
//   GET /recommendations/:user?n=10   -> {"user", "items": [{"id", "score"}], "model"}
//   GET /similar/:item?n=10           -> {"item", "items": [...]}
//   POST /retrain                     -> 202, retrains in the background on the same file
//   GET /health                       -> {"status": "ok", "model": "hybrid" | "popular"}
//
//   EVENTS=events.csv PORT=3000 node server.mjs
import { createServer } from 'node:http';

import { ALS, Hybrid, Interactions, Popularity, isRecsysError } from 'recsys';

const events = process.env.EVENTS ?? 'events.csv';
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';

let data = Interactions.fromCsv(events);
let popular = await new Popularity().fit(data);
/** The model requests use: popularity at first, the hybrid once it is trained. */
let model = popular;

async function train() {
  data = Interactions.fromCsv(events);
  popular = await new Popularity().fit(data);
  const blend = new Hybrid([
    { model: new ALS({ factors: 64, iterations: 15, seed: 42 }), weight: 0.9 },
    { model: new Popularity(), weight: 0.1 },
  ]);
  const started = performance.now();
  await blend.fit(data);
  model = blend;
  console.log(
    `trained on ${data.nnz} events of ${data.nUsers} users in ${(performance.now() - started).toFixed(0)} ms`,
  );
}

/** A user or item id as the CSV spelled it: numbers stay numbers. */
const id = (text) => (/^-?\d+$/.test(text) ? Number(text) : decodeURIComponent(text));

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const listed = ({ ids, scores }) => ids.map((item, i) => ({ id: item, score: scores[i] }));

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const n = Math.min(Number(url.searchParams.get('n') ?? 10) || 10, 100);
  const [, route, arg] = url.pathname.split('/');
  try {
    if (req.method === 'GET' && route === 'recommendations' && arg) {
      // the hybrid serves users ALS never saw (new visitors) from its popularity member
      const user = id(arg);
      return send(res, 200, { user, items: listed(model.recommend(user, { n })), model: model.kind });
    }
    if (req.method === 'GET' && route === 'similar' && arg) {
      return send(res, 200, { item: id(arg), items: listed(model.similarItems(id(arg), { n })) });
    }
    if (req.method === 'POST' && route === 'retrain') {
      train().catch((e) => console.error('retraining failed:', e.message));
      return send(res, 202, { status: 'training' });
    }
    if (req.method === 'GET' && route === 'health') {
      return send(res, 200, { status: 'ok', model: model.kind });
    }
    send(res, 404, { error: 'not found' });
  } catch (e) {
    if (isRecsysError(e) && (e.code === 'UNKNOWN_ID' || e.code === 'INVALID_ARGUMENT')) {
      return send(res, e.code === 'UNKNOWN_ID' ? 404 : 400, { error: e.message, code: e.code });
    }
    console.error(e);
    send(res, 500, { error: 'internal error' });
  }
});

server.listen(port, host, () => {
  const { port: bound } = server.address();
  console.log(`listening on http://${host}:${bound}`);
  train().catch((e) => console.error('training failed:', e.message));
});
