export { CentersService } from './centers.service.js';
export { slugifyCenterKey, uniqueCenterKey, isValidCenterKey } from './center-key.js';
export type { CenterRow } from './centers.repository.js';
