import { readBase64 } from '/work/main/src/trust/json-fields.ts';
for (const kb of [64, 256, 512, 1024, 2048, 4096]) {
  const s = Buffer.alloc(kb * 1024, 'x').toString('base64');
  try { readBase64(s, 'p'); console.log(kb, 'ok'); } catch (e) { console.log(kb, (e as Error).message); }
}
