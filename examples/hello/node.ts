import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from 'ssekit/node';
import { hello } from './hello.ts';

const server = createServer(toNodeHandler(hello));
server.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening http://localhost:${(server.address() as AddressInfo).port}`);
});
