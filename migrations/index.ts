import { InitialSchema1763776800000 } from './1763776800000-initial-schema';
import { Tokens1763863200000 } from './1763863200000-tokens';
import { PredictionModels1763949600000 } from './1763949600000-prediction-models';
import { CacheRequirements1764036000000 } from './1764036000000-cache-requirements';
import { ShardHandoff1764122400000 } from './1764122400000-shard-handoff';
import { CacheLearned1764208800000 } from './1764208800000-cache-learned';
import { SessionLocks1764900000000 } from './1764900000000-session-locks';
import { EdgesAndAffinity1764900100000 } from './1764900100000-edges-and-affinity';
import { GroupSnapshots1764900200000 } from './1764900200000-group-snapshots';
import { LeanerOutbox1764900300000 } from './1764900300000-leaner-outbox';
import { LeavingNodes1764900400000 } from './1764900400000-leaving-nodes';
import { OutboxPerBatch1764900500000 } from './1764900500000-outbox-per-batch';

/** Every migration, in order. Listed explicitly so the CLI, the apps and the tests run the same set. */
export const migrations = [
  InitialSchema1763776800000,
  Tokens1763863200000,
  PredictionModels1763949600000,
  CacheRequirements1764036000000,
  ShardHandoff1764122400000,
  CacheLearned1764208800000,
  SessionLocks1764900000000,
  EdgesAndAffinity1764900100000,
  GroupSnapshots1764900200000,
  LeanerOutbox1764900300000,
  LeavingNodes1764900400000,
  OutboxPerBatch1764900500000,
];
