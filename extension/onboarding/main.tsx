import "../shared/page.css";
import { render } from "preact";
import { Onboarding } from "./onboarding";

const root = document.getElementById("app");
if (root) render(<Onboarding />, root);
