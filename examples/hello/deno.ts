// deno run --allow-net --allow-env=PORT deno.ts
import { serve } from 'ssekit/deno';
import { hello } from './hello.ts';

serve(hello, { port: Number(process.env.PORT ?? 8000) }); // prints "Listening on http://..."
