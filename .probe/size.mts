import http from 'node:http';
import npmFetch from 'npm-registry-fetch';
const server = http.createServer((req, res) => { res.writeHead(200, {'content-type':'application/json'}); res.end('x'.repeat(5000)); });
await new Promise<void>(r => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as any).port;
try {
  const r = await npmFetch(`http://127.0.0.1:${port}/a`, { size: 1000, retry: { retries: 0 } } as any);
  console.log('got', (await r.text()).length);
} catch (e: any) { console.log('ERR', e.name, e.code, e.type, e.message); }
const server2 = http.createServer((req, res) => { res.writeHead(200, {'content-type':'application/json'}); res.write('x'.repeat(3000)); setTimeout(()=>res.end('y'.repeat(3000)), 50); });
await new Promise<void>(r => server2.listen(0, '127.0.0.1', () => r()));
try {
  const r = await npmFetch(`http://127.0.0.1:${(server2.address() as any).port}/a`, { size: 1000, retry: { retries: 0 } } as any);
  console.log('got', (await r.text()).length);
} catch (e: any) { console.log('ERR2', e.name, e.code, e.type, e.message); }
server.close(); server2.close();
console.log(JSON.parse('['.repeat(100000) + ']'.repeat(100000)).length);
try { JSON.parse('['.repeat(10000000) + ']'.repeat(10000000)); console.log('deep ok') } catch (e: any) { console.log('deep err', e.message) }
