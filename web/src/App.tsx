// The page's frame: the API key prompt until a key is accepted, then the header with navigation and the
// light/dark switch around the routed screens.
import { useEffect, useState } from 'react';
import { NavLink, Route, Routes, useNavigate } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { getKey, setKey } from './api';
import { KeyPrompt } from './pages/KeyPrompt';
import { BackupsPage } from './pages/Backups';
import { CreateBackupPage } from './pages/CreateBackup';
import { BackupDetailsPage } from './pages/BackupDetails';
import { RestoreWizardPage } from './pages/RestoreWizard';
import { UploadPage } from './pages/Upload';
import { StatisticsPage } from './pages/Statistics';
import { RestoreJobPage, RestoresPage } from './pages/Restores';
import { ScheduleEditPage, SchedulesPage } from './pages/Schedules';
import { RetentionPage } from './pages/Retention';
import { NotificationsPage } from './pages/Notifications';

type Theme = 'light' | 'dark';
function initialTheme(): Theme {
  const stored = localStorage.getItem('claudelens.theme');
  if (stored === 'light' || stored === 'dark') return stored;
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function App() {
  const [key, setKeyState] = useState<string | null>(getKey());
  const [theme, setTheme] = useState<Theme>(initialTheme);
  const client = useQueryClient();
  const navigate = useNavigate();

  useEffect(() => {
    document.documentElement.dataset.theme = theme;
    localStorage.setItem('claudelens.theme', theme);
  }, [theme]);

  // Any request answered 401 later (key deleted meanwhile) brings the prompt back.
  useEffect(() => {
    const onUnauthorized = () => setKeyState(null);
    window.addEventListener('claudelens:unauthorized', onUnauthorized);
    return () => window.removeEventListener('claudelens:unauthorized', onUnauthorized);
  }, []);

  const themeButton = (
    <button type="button" className="ghost" onClick={() => setTheme(theme === 'dark' ? 'light' : 'dark')}
      aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );

  if (!key)
    return (
      <KeyPrompt themeButton={themeButton} onAccepted={(k) => { setKey(k); client.clear(); setKeyState(k); }} />
    );

  return (
    <div className="app">
      <a href="#main" className="skip">Skip to content</a>
      <header className="topbar">
        <span className="brand">ClaudeLens</span>
        <nav aria-label="Main">
          <NavLink to="/" end>Backups</NavLink>
          <NavLink to="/backups/new">Create</NavLink>
          <NavLink to="/upload">Upload</NavLink>
          <NavLink to="/restores">Restores</NavLink>
          <NavLink to="/statistics">Statistics</NavLink>
          <NavLink to="/schedules">Schedules</NavLink>
          <NavLink to="/retention">Retention</NavLink>
          <NavLink to="/notifications">Notifications</NavLink>
        </nav>
        <span className="spacer" />
        {themeButton}
        <button type="button" className="ghost" onClick={() => { setKey(null); client.clear(); setKeyState(null); navigate('/'); }}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Routes>
          <Route path="/" element={<BackupsPage />} />
          <Route path="/backups/new" element={<CreateBackupPage />} />
          <Route path="/backups/:id" element={<BackupDetailsPage />} />
          <Route path="/backups/:id/restore" element={<RestoreWizardPage />} />
          <Route path="/upload" element={<UploadPage />} />
          <Route path="/statistics" element={<StatisticsPage />} />
          <Route path="/restores" element={<RestoresPage />} />
          <Route path="/restores/:jobId" element={<RestoreJobPage />} />
          <Route path="/schedules" element={<SchedulesPage />} />
          <Route path="/schedules/new" element={<ScheduleEditPage />} />
          <Route path="/schedules/:id" element={<ScheduleEditPage />} />
          <Route path="/retention" element={<RetentionPage />} />
          <Route path="/notifications" element={<NotificationsPage />} />
          <Route path="*" element={<p>There is no such page. <NavLink to="/">Back to the backups</NavLink></p>} />
        </Routes>
      </main>
    </div>
  );
}
