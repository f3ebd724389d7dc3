// Home: what this machine has (GPUs, RAM, disk), whether the trainer is ready (set it up from
// here when it is not), and the two ways in: the one-click demo and a new training.
import type { HardwareReport } from '../../../electron/shared/contract/hardware';
import { ErrorNote } from '../components/ErrorNote';
import { ProgressBar } from '../components/ProgressBar';
import { useCall } from '../components/useCall';
import { navigate } from '../route';
import { GpuCard, fmtGb } from './home/GpuCard';
import { TrainerSetup } from './home/TrainerSetup';
import { DemoButton } from './wizard/DemoButton';

export function HomeScreen() {
  const report = useCall('hardware.report', {});
  const info = useCall('app.info', {});
  const hw = report.data;
  return (
    <div className="stack">
      <header className="screen-header">
        <h1>Welcome to TuneDesk</h1>
        <p className="help">Fine-tune a language model on this machine. New here? The demo trains a tiny model in about a minute, on the CPU.</p>
      </header>
      <div className="row">
        <DemoButton />
        <button type="button" onClick={() => navigate({ screen: 'wizard' })}>
          New training…
        </button>
      </div>
      <ErrorNote error={report.error ?? info.error} title="Could not read this machine" />
      {report.loading && !hw && <p className="help">Looking at this machine…</p>}
      {hw && <MachineCards hw={hw} />}
      <TrainerSetup ready={hw ? hw.trainer.status === 'ok' : null} detail={hw?.trainer.detail} onDone={report.reload} />
      {info.data && (
        <p className="help">
          TuneDesk {info.data.version} ({info.data.mode === 'browser' ? 'browser mode' : 'desktop'}) · runs are kept in <code>{info.data.runsRoot}</code>
        </p>
      )}
    </div>
  );
}

function MachineCards({ hw }: { hw: HardwareReport }) {
  const mem = hw.host.memory;
  const disk = hw.host.disk;
  return (
    <section aria-label="This machine" className="stack">
      <h2>This machine</h2>
      {hw.disagreements.map((d) => (
        <div key={d} className="alert">
          {d}
        </div>
      ))}
      <div className="grid">
        {hw.gpus.map((g) => (
          <GpuCard
            key={g.key}
            gpu={{
              key: g.key,
              name: g.name,
              memoryUsedBytes: g.memoryUsedBytes,
              memoryTotalBytes: g.memoryTotalBytes,
              utilizationPct: g.utilizationPct,
              temperatureC: g.temperatureC,
              note: g.unifiedMemory ? 'Shares the system memory.' : g.migMode === 'enabled' ? 'Split into MIG instances.' : undefined,
            }}
          />
        ))}
        {hw.gpus.length === 0 && (
          <article className="card">
            <h3>No GPU found</h3>
            <p className="help">Training will run on the CPU: fine for the demo and tiny models.</p>
            <ul className="help" style={{ paddingLeft: 18, margin: 0, fontSize: '0.85rem' }}>
              {hw.sources.map((s) => (
                <li key={s.name}>
                  {s.name}: {s.detail}
                </li>
              ))}
            </ul>
          </article>
        )}
        <article className="card" aria-label="Memory">
          <h3>Memory (RAM)</h3>
          {mem ? (
            <>
              <p className="num help">
                {fmtGb(mem.totalBytes - mem.availableBytes)} used of {fmtGb(mem.totalBytes)}
              </p>
              <ProgressBar fraction={(mem.totalBytes - mem.availableBytes) / mem.totalBytes} label="RAM used" />
            </>
          ) : (
            <p className="help">unknown</p>
          )}
          {hw.host.cpu && (
            <p className="help" style={{ marginTop: 8 }}>
              {hw.host.cpu.brand}, {hw.host.cpu.physicalCores} cores
            </p>
          )}
        </article>
        <article className="card" aria-label="Disk">
          <h3>Disk for runs</h3>
          {disk ? (
            <>
              <p className="num help">
                {fmtGb(disk.freeBytes)} free of {fmtGb(disk.totalBytes)} ({disk.mount})
              </p>
              <ProgressBar fraction={1 - disk.freeBytes / disk.totalBytes} label="Disk used" tone={disk.freeBytes < 20 * 1024 ** 3 ? 'warn' : undefined} />
            </>
          ) : (
            <p className="help">unknown</p>
          )}
        </article>
      </div>
    </section>
  );
}
