// HTTPS arrivals (benches/peers.sh https): the same load as arrivals.toml. 500 iterations
// per second for 10 s (constant-arrival-rate), each on a new connection
// (noVUConnectionReuse) with a full TLS handshake and certificate verification (the
// certificate is trusted through SSL_CERT_FILE; Go's client keeps no session cache, so
// nothing is resumed), one GET /:
//   SSL_CERT_FILE=cert.pem k6 run --quiet --no-usage-report --summary-export OUT.json -e BASE=https://127.0.0.1:PORT arrivals-k6.js
import http from 'k6/http';
import { check } from 'k6';
import { Counter } from 'k6/metrics';

const BASE = __ENV.BASE || 'https://127.0.0.1:8443';
const failed = new Counter('failed_steps');

export const options = {
  scenarios: {
    arrivals: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 500),
      timeUnit: '1s',
      duration: __ENV.DURATION || '10s',
      preAllocatedVUs: 100,
      maxVUs: 2000,
    },
  },
  noVUConnectionReuse: true,
  summaryTrendStats: ['avg', 'p(50)', 'p(95)', 'p(99)', 'max'],
};

export default function () {
  const r = http.get(`${BASE}/`, { tags: { name: 'home' } });
  if (!check(r, { home: () => r.status === 200 })) failed.add(1, { step: 'home' });
}
