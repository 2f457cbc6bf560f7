import type { RawMailStore } from '../../adapters/ports';
import { type AdapterContext, onFirstCall } from '../awsAdapters';

/** Raw mail and attachments in S3, or in the runtime's folder. */
export const rawMailStore = ({ runtime }: AdapterContext): RawMailStore =>
  onFirstCall(async () => {
    const { DiskRawMailStore, S3RawMailStore } = await import('../../adapters/rawMailStore');
    return runtime.rawMailDir ? new DiskRawMailStore(runtime.rawMailDir) : new S3RawMailStore();
  });
