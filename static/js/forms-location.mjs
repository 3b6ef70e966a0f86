// "Use my current location" on a form's location question. Progressive enhancement only:
// without JavaScript (or without geolocation) the button's wrapper stays hidden and people type
// a description, and the coordinates if they know them.
const buttons = document.querySelectorAll("[data-forms-locate]");

for (const button of buttons) {
  if (!("geolocation" in navigator)) {
    continue;
  }
  const latitude = document.getElementById(button.dataset.latitude);
  const longitude = document.getElementById(button.dataset.longitude);
  const status = button.parentElement.querySelector("[data-forms-locate-status]");
  if (!latitude || !longitude) {
    continue;
  }
  const wrapper = button.closest("[data-forms-locate-wrapper]");
  if (wrapper) wrapper.hidden = false;
  button.addEventListener("click", () => {
    if (status) status.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        if (status) status.textContent = "Your location has been added. Check it is right before you continue.";
      },
      () => {
        if (status) status.textContent = "We could not find your location. Describe where it is instead.";
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
}
