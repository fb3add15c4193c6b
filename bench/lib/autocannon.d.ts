// The subset of autocannon 9's programmatic API the harness uses (the package ships no types).
declare module "autocannon" {
  namespace autocannon {
    interface Histogram {
      average: number;
      mean: number;
      total: number;
      p50: number;
      p99: number;
      sent: number;
    }
    interface Result {
      duration: number;
      errors: number;
      timeouts: number;
      non2xx: number;
      requests: Histogram;
      latency: Histogram;
    }
    interface Instance {
      on(
        event: "response",
        listener: (client: unknown, status: number, bytes: number, responseTime: number) => void,
      ): void;
      stop(): void;
    }
  }
  function autocannon(
    options: Record<string, unknown>,
    callback: (error: Error | null, result: autocannon.Result) => void,
  ): autocannon.Instance;
  export default autocannon;
}
