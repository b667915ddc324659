// The demo's training worker: the package's trainer server, bundled with the page's own copy of webppo.
import { serveTrainer, type MessageEndpoint } from 'webppo';

serveTrainer(globalThis as unknown as MessageEndpoint);
