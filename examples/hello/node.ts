import { createServer } from 'node:http';
import { toNodeHandler } from 'ssekit/node';
import { hello } from './hello.ts';

const port = Number(process.env.PORT ?? 3000);
const server = createServer(toNodeHandler(hello));
server.listen(port, () => console.log(`listening http://localhost:${port}`));
