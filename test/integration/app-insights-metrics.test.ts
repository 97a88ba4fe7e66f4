/**
 * The scheduler's metrics as Application Insights receives them: the real Azure Monitor exporter (in a
 * child process that trusts a throw-away certificate: the exporter speaks https only) posting to a local
 * ingestion endpoint named by the connection string, decoded as the service would.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

const root = path.resolve(__dirname, '..', '..');
const dir = mkdtempSync(path.join(tmpdir(), 'ai-ingest-'));
let server: Server;
let port = 0;
const envelopes: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const tls = {
    key: readFileSync(path.join(dir, 'key.pem')),
    cert: readFileSync(path.join(dir, 'cert.pem')),
  };
  server = createServer(tls, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const text = body.toString('utf8').trim();
      const parsed = (
        text.startsWith('[') ? JSON.parse(text) : text.split('\n').map((l) => JSON.parse(l))
      ) as Array<Record<string, unknown>>;
      envelopes.push(...parsed);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ itemsReceived: parsed.length, itemsAccepted: parsed.length, errors: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

test('each metric arrives in customMetrics with its tier as a dimension', async () => {
  const script = `
    const { AppInsightsMetricsSink } = require(${JSON.stringify(path.join(root, 'dist', 'shared', 'adapters', 'app-insights-metrics.js'))});
    const sink = new AppInsightsMetricsSink({ connectionString: process.env.CS, offlineStorage: false });
    sink.record(JSON.parse(process.env.METRICS)).then(() => sink.close()).catch((e) => { console.error(e); process.exit(1); });`;
  const metrics = [
    { name: 'triage.waiting', tier: 'health', value: 3 },
    { name: 'triage.oldest_wait_seconds', tier: 'health', value: 75 },
    { name: 'triage.waiting', tier: 'standard', value: 40 },
  ];
  await new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      ['-e', script],
      {
        cwd: root,
        timeout: 30_000,
        env: {
          ...process.env,
          NODE_EXTRA_CA_CERTS: path.join(dir, 'cert.pem'),
          // No statsbeat: nothing leaves 127.0.0.1.
          APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
          APPLICATIONINSIGHTS_STATSBEAT_DISABLED: 'true',
          CS: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
          METRICS: JSON.stringify(metrics),
        },
      },
      (err, _stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve()),
    ),
  );
  const received = envelopes
    .filter((e) => (e.data as { baseType?: string } | undefined)?.baseType === 'MetricData')
    .flatMap((e) => {
      const base = (
        e.data as {
          baseData: { metrics: Array<{ name: string; value: number }>; properties?: Record<string, string> };
        }
      ).baseData;
      return base.metrics.map((m) => ({ name: m.name, value: m.value, tier: base.properties?.tier }));
    });
  expect(received).toEqual(
    expect.arrayContaining(metrics.map((m) => ({ name: m.name, value: m.value, tier: m.tier }))),
  );
});
