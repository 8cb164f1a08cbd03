// The Worker the Durable Object benchmark serves: SSEHub with its defaults
// (15 s heartbeat), subscribed over RPC, published from a separate request.
import { type HubNamespaceLike, hubStub, SSEHub, subscribeToHub } from 'ssekit/durable-objects';

export class BenchHub extends SSEHub {}

export default {
  async fetch(request: Request, env: { HUB: HubNamespaceLike<BenchHub> }): Promise<Response> {
    const url = new URL(request.url);
    const stub = hubStub(env.HUB, url.searchParams.get('hub') ?? 'bench');
    if (url.pathname === '/events') return subscribeToHub(stub, request, 'bench');
    if (url.pathname === '/stats') return Response.json(await stub.stats());
    const id = await stub.publish('bench', { data: url.searchParams.get('seq') ?? '' });
    return new Response(id);
  },
};
