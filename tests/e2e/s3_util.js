// Test helper: talks to the loopback S3 server with AWS's own SDK (@aws-sdk/client-s3), so
// the objects frocket reads were written by a real client.
//   node s3_util.js put <endpoint> <bucket> <prefix> <file>...   upload files under prefix
//   node s3_util.js many <endpoint> <bucket> <prefix> <n>        n tiny objects part-NNNNN.parquet
//   node s3_util.js del <endpoint> <bucket> <key>                 delete one object
//   node s3_util.js mkbucket <endpoint> <bucket>
'use strict';
const fs = require('fs');
const path = require('path');
const { S3Client, PutObjectCommand, DeleteObjectCommand, CreateBucketCommand } =
  require('@aws-sdk/client-s3');

const [cmd, endpoint, bucket, ...rest] = process.argv.slice(2);
const s3 = new S3Client({
  endpoint, region: 'us-east-1', forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
});

async function pool(items, n, fn) {
  let i = 0;
  const run = async () => { while (i < items.length) { const k = i++; await fn(items[k]); } };
  await Promise.all(Array.from({ length: n }, run));
}

(async () => {
  if (cmd === 'put') {
    const [prefix, ...files] = rest;
    await pool(files, 8, async (f) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + path.basename(f),
        Body: fs.readFileSync(f) }));
    });
  } else if (cmd === 'many') {
    const [prefix, n] = rest;
    const keys = Array.from({ length: Number(n) },
      (_, i) => `${prefix}part-${String(i).padStart(5, '0')}.parquet`);
    await pool(keys, 16, async (k) => {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: 'x' }));
    });
  } else if (cmd === 'del') {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: rest[0] }));
  } else if (cmd === 'mkbucket') {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } else {
    throw new Error('unknown command ' + cmd);
  }
})().catch((e) => { console.error(e.message || e); process.exit(1); });
