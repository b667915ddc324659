// Every test file starts with the library silent; a test that checks messages passes its own logger.
import { setLogLevel } from '../src/log.js';

setLogLevel('silent');
