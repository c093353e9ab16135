import '@picocss/pico/css/pico.min.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { createRoot } from 'react-dom/client';
import { adoptToken } from './api';
import { App } from './app';
import { connect } from './store';

adoptToken();
connect();
const root = document.getElementById('root');
if (root !== null) createRoot(root).render(<App />);
