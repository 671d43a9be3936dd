import { Redis } from 'ioredis';
import mongoose from 'mongoose';

/**
 * Integration suites need real servers; scripts/test.sh starts them and exports their URLs.
 * Failing here (rather than skipping) keeps a misconfigured run from passing on unit tests alone.
 */
export default async function globalSetup(): Promise<void> {
  const redisUrl = process.env.REDIS_URL;
  const mongodbUri = process.env.MONGODB_URI;
  if (!redisUrl || !mongodbUri) {
    throw new Error('REDIS_URL and MONGODB_URI must point at test servers: run `npm test`, which starts them');
  }
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  const info = await redis.info('server');
  await redis.quit();
  const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';

  const connection = await mongoose.createConnection(mongodbUri, { serverSelectionTimeoutMS: 5000 }).asPromise();
  const buildInfo = await connection.db?.admin().command({ buildInfo: 1 });
  await connection.close();
  const ferretdbVersion = buildInfo?.ferretdbVersion as string | undefined;
  const mongoDescription = ferretdbVersion
    ? `FerretDB ${ferretdbVersion} (reports MongoDB ${String(buildInfo?.version)})`
    : `MongoDB ${String(buildInfo?.version)}`;

  process.stdout.write(`\nIntegration servers: Redis ${redisVersion} at ${redisUrl}; ${mongoDescription} at ${mongodbUri}\n`);
}
