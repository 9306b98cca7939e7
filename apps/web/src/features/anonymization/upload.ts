import { ref } from 'vue';
import { startPolling, type Poller } from '../../shared/poll';
import { anonymizationApi, type UploadStatus } from './anonymization.api';

/** Upload of one PDF: transfer progress, then the job's status until it is done or failed. */
export function usePdfUpload(onFinished: () => void) {
  const progress = ref<number | null>(null);
  const status = ref<UploadStatus['status'] | null>(null);
  const error = ref<string | null>(null);
  const fileName = ref('');
  let poller: Poller | undefined;

  async function upload(file: File): Promise<void> {
    poller?.stop();
    error.value = null;
    status.value = null;
    fileName.value = file.name;
    if (!/\.pdf$/i.test(file.name) && file.type !== 'application/pdf') {
      error.value = 'Bitte eine PDF-Datei wählen.';
      return;
    }
    progress.value = 0;
    try {
      const created = await anonymizationApi.upload(file, (f) => (progress.value = f));
      status.value = 'pending';
      poller = startPolling(
        async () => {
          const s = await anonymizationApi.uploadStatus(created.uploadId);
          const changed = s.status !== status.value;
          status.value = s.status;
          if (s.status === 'error' || s.status === 'lost') error.value = s.errorDetail || 'Der Import ist fehlgeschlagen.';
          if (s.status === 'anonymized' || s.status === 'error' || s.status === 'lost') {
            poller?.stop();
            onFinished();
          }
          return changed;
        },
        { minMs: 1500, maxMs: 10_000 },
      );
    } catch (e) {
      error.value = (e as Error).message;
      progress.value = null;
    }
  }

  const stop = (): void => poller?.stop();
  return { progress, status, error, fileName, upload, stop };
}
