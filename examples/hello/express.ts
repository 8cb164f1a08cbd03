import express from 'express';
import { toNodeHandler } from 'ssekit/node';
import { hello } from './hello.ts';

const app = express();
app.get('/events', toNodeHandler(hello));
const port = Number(process.env.PORT ?? 3000);
app.listen(port, () => console.log(`listening http://localhost:${port}/events`));
