// Express ships no types of its own (an app adds @types/express); this is
// just enough of it for the example to type-check here.
declare module 'express' {
  import type { Server } from 'node:http';

  interface App {
    get(path: string, handler: (req: any, res: any) => unknown): void;
    listen(port: number, callback?: () => void): Server;
  }
  export default function express(): App;
}
