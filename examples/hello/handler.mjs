// A request handler module, for `ringmaster serve examples/hello/handler.mjs`.
export default function handler(req, res) {
  res.end(`hello from ringmaster serve, pid ${process.pid}, worker ${process.env.RINGMASTER_WID ?? '-'}\n`);
}
