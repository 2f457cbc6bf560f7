import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { NotFoundError } from '../core/errors';
import type { RawMailStore } from './ports';
import { withoutCommandLog } from './sdkClient';
import { Sha256 } from './sha256';

/**
 * Reads the raw MIME that the SES receipt rule's S3 action wrote to `<prefix><SES messageId>`, and stores
 * the attachments intake extracts from it beside it.
 */
export class S3RawMailStore implements RawMailStore {
  constructor(private readonly s3: S3Client = withoutCommandLog(new S3Client({ sha256: Sha256 }))) {}

  async get(bucket: string, key: string): Promise<Buffer> {
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!out.Body) throw new NotFoundError('Raw mail has no body', { bucket, key });
      return Buffer.from(await out.Body.transformToByteArray());
    } catch (e) {
      if (e instanceof NoSuchKey) throw new NotFoundError('Raw mail not found', { bucket, key });
      throw e;
    }
  }

  async put(bucket: string, key: string, body: Buffer, contentType: string): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async delete(bucket: string, key: string): Promise<void> {
    // S3 DeleteObject succeeds for a missing key, which makes a repeated erasure harmless.
    await this.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
}

/**
 * Reads raw mail from `<rootDir>/<bucket>/<key>`, where the local SMTP intake (standing in for the S3
 * action) stores it; attachments go to the same layout.
 */
export class DiskRawMailStore implements RawMailStore {
  private readonly root: string;

  constructor(rootDir: string) {
    this.root = resolve(rootDir);
  }

  async get(bucket: string, key: string): Promise<Buffer> {
    const path = this.pathOf(bucket, key);
    try {
      return await readFile(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new NotFoundError('Raw mail not found', { bucket, key });
      throw e;
    }
  }

  async put(bucket: string, key: string, body: Buffer): Promise<void> {
    const path = this.pathOf(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, body);
  }

  async delete(bucket: string, key: string): Promise<void> {
    await rm(this.pathOf(bucket, key), { force: true });
  }

  private pathOf(bucket: string, key: string): string {
    const path = resolve(this.root, bucket, key);
    // Bucket and key come from an event: never let `..` reach outside the mail folder.
    if (!path.startsWith(this.root + sep)) throw new NotFoundError('Raw mail not found', { bucket, key });
    return path;
  }
}
