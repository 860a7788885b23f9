// The GitOps sync's HTTP paths, shared by the router (server) and `dockfence sync` (CLI) without
// pulling express into the CLI.

import { API_VERSION } from '../resources/types.js';

export const GITOPS_BASE_PATH = `/apis/${API_VERSION}/gitops`;
/** GET: the GitopsSync status document. */
export const GITOPS_STATUS_PATH = `${GITOPS_BASE_PATH}/status`;
/** POST: run a sync now (`?dryRun=All` plans only, `?wait=false` answers 202 at once). */
export const GITOPS_SYNC_PATH = `${GITOPS_BASE_PATH}/sync`;
