import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import './styles.css';
import { loadConfig } from './lib/config';
import { initI18n } from './lib/i18n';
import { App } from './app/App';

const root = createRoot(document.getElementById('root')!);

async function start() {
  try {
    await Promise.all([loadConfig(), initI18n()]);
  } catch (e) {
    // Without config or strings nothing else can render; say what broke.
    root.render(
      <div role="alert" style={{ padding: 32, fontFamily: 'system-ui' }}>
        <h1 style={{ fontSize: 18 }}>AtlHyper could not start</h1>
        <p>{e instanceof Error ? e.message : String(e)}</p>
      </div>,
    );
    return;
  }
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}

void start();
