import { Controller, Get, Header, Inject } from '@nestjs/common';
import { Registry } from 'prom-client';
import { WorkerMetrics } from '../worker-metrics';

@Controller()
export class MetricsController {
  constructor(@Inject(WorkerMetrics) private readonly metrics: WorkerMetrics) {}

  /** Prometheus text: the service metrics of lab-core and the worker's job metrics. */
  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
