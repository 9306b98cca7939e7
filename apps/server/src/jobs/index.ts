export {
  DEFAULT_RETRY,
  FINISHED_STATES,
  JOB_STATES,
  LEASE_EXPIRED_MESSAGE,
  PermanentJobError,
  UnknownQueueError,
  retryDelaySeconds,
  type EnqueueOptions,
  type JobContext,
  type JobHandlerSpec,
  type JobQueue,
  type JobRecord,
  type JobState,
  type ListFilter,
  type QueueRole,
  type RetryPolicy,
  type StopResult,
  type Worker,
  type WorkOptions,
} from './job-queue.js';
export { defineJob, enqueueJob, enqueuePeriodicJobs, JobRegistry, type JobDefinition } from './registry.js';
export { createJobQueue, type JobQueueTuning } from './create-job-queue.js';
export { physicalQueues, rolesForQueueNames, QUEUE_ROLES } from './queues.js';
export { purgeFinishedJobsJob } from './maintenance.jobs.js';
export { registerJobRoutes, toJobSummary } from './jobs.routes.js';
