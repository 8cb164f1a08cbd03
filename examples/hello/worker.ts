// wrangler dev (see wrangler.toml: the enable_request_signal flag reports disconnects)
import { defineWorker } from 'ssekit/workers';
import { hello } from './hello.ts';

export default defineWorker(hello);
