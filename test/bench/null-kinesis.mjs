// A Kinesis endpoint that does no work: it reads each request and answers from canned JSON. The bench runs it to
// show the load generator's own ceiling on this machine (SDK serialisation, SigV4 payload hashing, HTTP), so a
// target's numbers can be read against what the client could push at all. HTTP/1.1, 127.0.0.1, port 0.
import { createServer } from 'node:http';

const SHARDS = 4;
const shardIds = Array.from({ length: SHARDS }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
const putRecordsAnswers = new Map();

function putRecordsAnswer(count) {
  let body = putRecordsAnswers.get(count);
  if (!body) {
    const records = Array.from({ length: count }, (_, i) => ({ SequenceNumber: String(10n ** 30n + BigInt(i)), ShardId: shardIds[i % SHARDS] }));
    body = JSON.stringify({ FailedRecordCount: 0, Records: records });
    putRecordsAnswers.set(count, body);
  }
  return body;
}

const answers = {
  CreateStream: () => '{}',
  DescribeStreamSummary: () => JSON.stringify({ StreamDescriptionSummary: { StreamName: 'bench', StreamStatus: 'ACTIVE', OpenShardCount: SHARDS } }),
  ListShards: () => JSON.stringify({ Shards: shardIds.map((ShardId) => ({ ShardId })) }),
  GetShardIterator: () => JSON.stringify({ ShardIterator: 'AAAAAAAAAAE=' }),
  GetRecords: () => JSON.stringify({ Records: [], MillisBehindLatest: 0 }),
};

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    let body;
    if (op === 'PutRecords') {
      // Count entries without a full parse: every entry has exactly one "PartitionKey".
      const text = Buffer.concat(chunks).toString('latin1');
      body = putRecordsAnswer(text.split('"PartitionKey"').length - 1);
    } else {
      body = (answers[op] ?? (() => '{}'))();
    }
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`null kinesis listening on http://127.0.0.1:${server.address().port}\n`));
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
