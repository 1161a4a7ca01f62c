import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * An echo server on the JDK's own {@code com.sun.net.httpserver.HttpServer}: what a Java user
 * writes without a framework.
 *
 * <p>Run with the single-file source launcher: {@code java bench/alternatives/JdkHttpServer.java
 * PORT}
 *
 * <p>Listens on 127.0.0.1:PORT. GET / answers 200 with an empty body; POST / answers 200 with the
 * request body, byte for byte. It uses the default executor ({@code setExecutor(null)}), as the JDK
 * documentation's example does: one dispatcher thread accepts connections, reads requests and runs
 * this handler. Connections are kept alive (HTTP/1.1).
 *
 * <p>With the JDK's defaults the server does not set TCP_NODELAY and writes a response's headers
 * and its body separately, so on a kept-alive connection the body of every non-empty answer waits
 * for the client's delayed ACK of the headers: about 40 ms per POST on Linux, while GET (headers
 * only) is not delayed. The JDK's own (undocumented) switch for it is {@code java
 * -Dsun.net.httpserver.nodelay=true bench/alternatives/JdkHttpServer.java PORT}.
 */
public class JdkHttpServer {
  private static final byte[] EMPTY = new byte[0];

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: java JdkHttpServer.java PORT");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
    server.createContext("/", JdkHttpServer::handle);
    server.setExecutor(null); // the default executor
    server.start();
  }

  private static void handle(HttpExchange exchange) throws IOException {
    byte[] body;
    try (InputStream in = exchange.getRequestBody()) {
      body = in.readAllBytes(); // read it all, so the connection can take the next request
    }
    String method = exchange.getRequestMethod();
    int status = 200;
    if (!exchange.getRequestURI().getPath().equals("/")) {
      status = 404;
      body = EMPTY;
    } else if (method.equals("GET")) {
      body = EMPTY;
    } else if (!method.equals("POST")) {
      status = 405;
      body = EMPTY;
    }
    exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
    // A length of -1 means no body (Content-Length: 0); 0 would mean chunked.
    exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
