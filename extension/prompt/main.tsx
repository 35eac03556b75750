import "../shared/page.css";
import { render } from "preact";
import { Prompt } from "./prompt";

const root = document.getElementById("app");
if (root) render(<Prompt />, root);
