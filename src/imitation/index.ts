// Learning from demonstrations: recording, files, pretraining and cloning during PPO.
export { DemonstrationRecorder, loadDemonstration, encodeDemonstration, type Demonstration, type DemonstrationRecorderOptions } from './demonstration.js';
export { demonstrationBatch } from './demo-batch.js';
export { demoSequences, type DemoSequences } from '../backend/imitation.js';
export type { ImitationHost } from './host.js';
export { pretrain, type PretrainOptions, type PretrainEpoch } from './pretrain.js';
export { BehavioralCloning, type BehavioralCloningOptions, type BehavioralCloningDefaults, type BehavioralCloningStats } from './behavioral-cloning.js';
