// Child process for graphics-fallback.ts: systeminformation's graphics() may run nvidia-smi
// synchronously with no timeout, so it runs here, where the parent can kill it.
import si from 'systeminformation';

const { controllers } = await si.graphics();
process.stdout.write(
  JSON.stringify(
    controllers.map((c) => ({
      vendor: c.vendor ?? '',
      model: c.model ?? '',
      vram: c.vram ?? null,
      vramDynamic: Boolean(c.vramDynamic),
      busAddress: c.busAddress ?? c.pciBus ?? null,
      driverVersion: c.driverVersion ?? null,
    })),
  ),
);
