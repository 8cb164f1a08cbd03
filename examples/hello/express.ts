import type { AddressInfo } from 'node:net';
import express from 'express';
import { toNodeHandler } from 'ssekit/node';
import { hello } from './hello.ts';

const app = express();
app.get('/events', toNodeHandler(hello));
const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`listening http://localhost:${(server.address() as AddressInfo).port}`);
});
