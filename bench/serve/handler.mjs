// The request handler both servers run: the smallest useful answer.
export default function handler(req, res) {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
}
