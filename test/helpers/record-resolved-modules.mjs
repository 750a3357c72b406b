// Module-resolution hooks (node:module register) that report every URL the process resolves to the
// port given in `data`, so a test can see which modules an import pulls in.
let port;

export function initialize(data) {
  port = data.port;
}

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  port.postMessage(result.url);
  return result;
}
